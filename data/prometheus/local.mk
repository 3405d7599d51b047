# Example Prometheus alerting rules for `sluice worker --metrics`,
# installed under $(pkgdatadir)/prometheus (doc/metrics.md).
prometheusdir = $(pkgdatadir)/prometheus
dist_prometheus_DATA = data/prometheus/sluice-alerts.yml
