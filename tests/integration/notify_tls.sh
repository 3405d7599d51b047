# notify_tls.sh - email over TLS against real aiosmtpd servers on loopback
# with a throwaway private CA: STARTTLS offered (and required by the
# server) on smtp://, implicit TLS on smtps://, both trusted through the
# channel's ca_file; without ca_file the untrusted certificate fails the
# message with a clear error, it stays queued for a retry and nothing goes
# in clear text; smtp:// to a server without STARTTLS still sends (in
# clear), unless the channel says "tls": "required"; `sluice check` names a
# missing ca_file by line, column and key.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

RECV="$SLUICE_SRCDIR/tests/lib/notify_receivers.py"
P=$T/p
mkdir -p "$P" "$T/starttls" "$T/implicit" "$T/plain" "$T/pki"
pids=()
stop_all() { local p; for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done; }
at_exit stop_all

# ---- a private CA and a certificate for 127.0.0.1 it signs ---------------------------
cd "$T/pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sluice test CA" \
	-keyout ca.key -out ca.pem 2>/dev/null || fail "openssl: no CA"
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	-keyout server.key -out server.csr 2>/dev/null || fail "openssl: no request"
printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile ext.cnf -out server.pem 2>/dev/null || fail "openssl: no certificate"
cp ca.pem "$P/relay-ca.pem"

start_smtp() { # NAME TLS(starttls|implicit|"")
	SMTP_TLS=$2 SMTP_CERT="$T/pki/server.pem" SMTP_KEY="$T/pki/server.key" \
		/usr/bin/python3 "$RECV" smtp "$T/$1" "$T/$1.port" >/dev/null 2>"$T/$1.err" &
	pids+=("$!")
	wait_until 20 test -s "$T/$1.port" || { cat "$T/$1.err" >&2; fail "SMTP server $1 did not start"; }
}
start_smtp starttls starttls
start_smtp implicit implicit
start_smtp plain ""
STARTTLS_PORT=$(cat "$T/starttls.port")
IMPLICIT_PORT=$(cat "$T/implicit.port")
PLAIN_PORT=$(cat "$T/plain.port")
unset SMTP_USER SMTP_PASS
export no_proxy='*'

channel() { # NAME URL [EXTRA]
	printf '"%s": { "smtp_url": "%s", "from": "sluice@example.com", "to": ["ops@example.com"]%s }' \
		"$1" "$2" "${3:+, $3}"
}
cat >"$P/sluice.json" <<JSON
{ "project": "acme",
  "connections": { "wh": { "url": "sqlite:wh.db" } },
  "notifications": {
    $(channel starttls "smtp://127.0.0.1:$STARTTLS_PORT" '"ca_file": "relay-ca.pem"'),
    $(channel implicit "smtps://127.0.0.1:$IMPLICIT_PORT" '"ca_file": "relay-ca.pem"'),
    $(channel untrusted_smtps "smtps://127.0.0.1:$IMPLICIT_PORT"),
    $(channel untrusted_starttls "smtp://127.0.0.1:$STARTTLS_PORT"),
    $(channel plain "smtp://127.0.0.1:$PLAIN_PORT"),
    $(channel plain_required "smtp://127.0.0.1:$PLAIN_PORT" '"tls": "required"') },
  "flows": [ { "name": "nightly", "steps": [
      { "name": "boom", "kind": "sql", "connection": "wh", "sql": "SELECT * FROM gone" } ] } ] }
JSON
cd "$P"
mails() { ls "$T/$1"/mail-*.eml 2>/dev/null | wc -l; }
has_mail() { [ "$(mails "$1")" -gt 0 ]; }

run_sluice check
assert_eq 0 "$RC" "check exit: $ERR"

run_sluice run nightly
assert_eq 1 "$RC" "the run fails"
wait_until 20 has_mail starttls || fail "no mail over STARTTLS"
wait_until 20 has_mail implicit || fail "no mail over smtps://"
wait_until 20 has_mail plain || fail "no mail to the server without STARTTLS"
for srv in starttls implicit; do
	mail=$(cat "$T/$srv/mail-1.eml")
	assert_contains "$mail" "X-TLS: yes" "$srv: the mail came over TLS"
	assert_contains "$mail" "Subject: [sluice default] run 1 of nightly FAILED at boom"
done
# smtp:// takes STARTTLS when offered, and sends in clear when it is not.
assert_contains "$(cat "$T/plain/mail-1.eml")" "X-TLS: no"
assert_eq 1 "$(mails plain)" "tls: required sent nothing to a server without STARTTLS"
assert_eq 1 "$(mails implicit)" "the untrusted smtps:// channel delivered nothing"
assert_eq 1 "$(mails starttls)" "the untrusted STARTTLS channel delivered nothing"

# The refused ones wait for a retry with a clear error.
q=""
settled() { # every message tried once
	q=$("$SLUICE" show notifications --json | json_squeeze)
	! printf '%s' "$q" | grep -q '"attempts":0'
}
wait_until 20 settled || fail "not every message was tried: $q"
line() { printf '%s' "$q" | grep -o "\"channel\":\"$1\"[^}]*"; }
for ch in untrusted_smtps untrusted_starttls; do
	l=$(line "$ch")
	assert_contains "$l" '"state":"PENDING"' "$ch: kept for a retry"
	assert_contains "$l" 'certificate' "$ch: the error names the certificate"
done
l=$(line plain_required)
assert_contains "$l" '"state":"PENDING"' "plain_required: kept for a retry"
assert_contains "$l" 'STARTTLS not supported' "plain_required: the error says why"
for ch in starttls implicit plain; do
	assert_contains "$(line "$ch")" '"state":"SENT"' "$ch"
done
# No secret in the URL here, but the error must be masked all the same.
assert_not_contains "$q" "127.0.0.1:$IMPLICIT_PORT" "the error masks the URL"

# ---- check: a missing ca_file, a bad tls value ---------------------------------------
sed -i 's/"relay-ca.pem"/"no-such-ca.pem"/; s/"tls": "required"/"tls": "yes"/' "$P/sluice.json"
run_sluice check
assert_eq 1 "$RC" "check fails: $ERR"
assert_contains "$OUT$ERR" 'notifications.starttls.ca_file: no such file "no-such-ca.pem"'
assert_contains "$OUT$ERR" 'notifications.plain_required.tls: expected "required" or "when_offered"'
printf '%s' "$OUT$ERR" | grep -q 'sluice.json:[0-9]*:[0-9]*: notifications.starttls.ca_file' ||
	fail "no line and column: $OUT$ERR"
