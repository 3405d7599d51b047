-- One month's trips as the pipe loaded them, cleaned as the Prefect
-- course's flow cleans them: a missing passenger count is 0.  The file and
-- line of each trip are its key, so running a month again changes nothing.
SELECT _sluice_file AS source_file,
       _sluice_line AS source_line,
       vendor_id,
       pickup_at,
       dropoff_at,
       coalesce(passenger_count, 0) AS passenger_count,
       trip_distance,
       rate_code_id,
       store_and_fwd_flag,
       pu_location_id,
       do_location_id,
       payment_type,
       fare_amount,
       extra,
       mta_tax,
       tip_amount,
       tolls_amount,
       improvement_surcharge,
       total_amount,
       congestion_surcharge
FROM raw_yellow_tripdata
WHERE _sluice_file = 'taxi/' || :month || '/yellow_tripdata_' || :month || '.csv.gz'
