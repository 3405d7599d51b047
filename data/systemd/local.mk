# The systemd template unit, one instance per project directory, with the
# binary's installed path put in.  Installed under
# --with-systemdsystemunitdir (default: systemd's own, from pkg-config;
# else $(prefix)/lib/systemd/system; "no" installs none).
if HAVE_SYSTEMD_UNITDIR
systemdsystemunit_DATA = data/systemd/sluice-worker@.service
endif
EXTRA_DIST += data/systemd/sluice-worker@.service.in
CLEANFILES += data/systemd/sluice-worker@.service
data/systemd/sluice-worker@.service: $(srcdir)/data/systemd/sluice-worker@.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) data/systemd && \
	sed -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/data/systemd/sluice-worker@.service.in > $@.tmp && \
	mv $@.tmp $@
# distcheck installs as a user under its own prefix: the unit goes there too.
AM_DISTCHECK_CONFIGURE_FLAGS = --with-systemdsystemunitdir='$${prefix}/lib/systemd/system'
