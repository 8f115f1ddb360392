# prio: PGXS build.  `make test` and `make demo` do their own set-up (see README.md).
EXTENSION  = prio
EXTVERSION = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" $(EXTENSION).control)

MODULE_big = prio
# src/prio.c (module init) and src/*/*.c: rules/ (pure rules), engine/ (event
# sources, state store, outcomes, configuration cache), support/ (helpers every
# layer uses) and sql/ (the SQL-callable entry points, one file per SQL name).
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/*/*.c)))
# Headers are included by their plain names ("prio.h", "btyd.h",
# "customer_state.h") wherever in src/ they live.  `override`: the private
# builds (tools/private.sh) pass PG_CPPFLAGS on the command line.
override PG_CPPFLAGS += -I$(srcdir)/src -I$(srcdir)/src/rules -I$(srcdir)/src/engine \
	-I$(srcdir)/src/support -I$(srcdir)/src/sql

# The current version's install script is built from its ordered parts in
# sql/install/ (NN_name.sql, each opening with what it holds), concatenated
# as pg_cron builds its script.  The install scripts of released versions and
# the upgrades between them (sql/prio--X.Y.sql, sql/prio--X.Y--X.Z.sql) are
# frozen: never edited.
INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
# The upgrade to the version in development is built too, while it is
# unreleased (sql/upgrade/0.4--0.5/10_begin.sql says how): its changes, the
# install parts new in it (NEW_IN_0_5), the configuration rows' trigger
# functions, auto_breaks' one-row rule, the history's load check, tracked
# tables' names and prio.tracked, a tracked
# table's signature, the CLV fit, a customer's win
# probability, conversion_by_tier and who sees every customer, verbatim, then refresh(),
# recompute()/track()/untrack(), explain(), followup and the role
# functions as they install.
UPGRADE_DIR = sql/upgrade/0.4--0.5
NEW_IN_0_5  = sql/install/85_track_events.sql sql/install/86_deals.sql sql/install/87_types.sql \
              sql/install/88_playbooks.sql sql/install/89_labels.sql sql/install/92_channel.sql \
              sql/install/94_reactivation.sql
UPGRADE_PARTS = $(sort $(wildcard $(UPGRADE_DIR)/[1-4]*.sql)) sql/install/08_config_removed.sql \
                sql/install/31_auto_breaks_keep.sql \
                sql/install/70_history_loaded.sql sql/install/85_track_names.sql sql/install/85_track_signature.sql sql/install/85_track_triggers.sql \
                sql/install/90_clv_fit.sql \
                sql/install/91_win_probability_customer.sql \
                sql/install/96_views_conversion.sql sql/install/98_owner_isolation_sees.sql \
                $(NEW_IN_0_5) $(sort $(wildcard $(UPGRADE_DIR)/[5-8]*.sql)) \
                sql/install/81_refresh_function.sql sql/install/93_sources_api.sql \
                sql/install/94_explain.sql \
                sql/install/95_followup.sql sql/install/97_roles.sql $(UPGRADE_DIR)/99_end.sql
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql sql/$(EXTENSION)--0.4--0.5.sql
DATA       = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql))

# pg_regress inputs are sql/*.sql without "--" (and not the install script).
REGRESS      = $(sort $(patsubst sql/%.sql,%,$(filter-out $(wildcard sql/*--*.sql),$(wildcard sql/*.sql))))
REGRESS_OPTS = --load-extension=$(EXTENSION)

# Isolation specs: specs/*.spec, expected output in expected/ too.
ISOLATION      = $(sort $(patsubst specs/%.spec,%,$(wildcard specs/*.spec)))
ISOLATION_OPTS = --load-extension=$(EXTENSION)

PG_CFLAGS   = -std=gnu99 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers -Werror
EXTRA_CLEAN = results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifeq ($(wildcard $(PGXS)),)
# No server headers yet: `make test`/`make demo` install them; plain builds say what is missing.
all install installcheck:
	@echo "prio: PGXS not found; apt-get install postgresql-server-dev-15 (or run 'make test' as root)" >&2; exit 2
else
include $(PGXS)
endif

# PGXS tracks no header dependencies: a changed header rebuilds every object
# (a struct laid out anew in one file and not another crashes the server).
$(OBJS): $(wildcard src/*.h src/*/*.h)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS)
	cat $^ > $@

sql/$(EXTENSION)--0.4--0.5.sql: $(UPGRADE_PARTS)
	cat $^ > $@

# pgTAP suite against the server in PGHOST/PGDATABASE (the extension must be installed).
prove:
	tools/prove.sh

# Everything from nothing: packages, build, install, throwaway cluster, both suites.
test:
	tools/test.sh

demo:
	tools/demo.sh

# Soak, crash, dump/restore, streaming-standby and logical-replication tests, each in a throwaway cluster of its own
# (run after make test, which installs prio); CI runs it too.
stress:
	tools/stress.sh
	tools/crash.sh
	tools/dumprestore.sh
	tools/standby.sh
	tools/logical.sh

# The whole suite against prio built with -DUSE_ASSERT_CHECKING, installed into a
# private copy of PostgreSQL (the system's prio is untouched); CI runs it after make test.
check-asserts:
	tools/asserts.sh

# The C layout (tools/layout.sh): each SQL function's C in src/sql/<its name>.c, pure
# rules in src/rules/, nothing but prio.c and prio.h directly in src/.  make test
# (tools/test.sh) runs it before the build, so CI keeps it true.
check-layout:
	tools/layout.sh

# pg_regress (TAP=1: and pgTAP) with the server under valgrind; prio's errors with
# their stacks.  Not in CI: about 7 minutes.
check-valgrind:
	tools/valgrind.sh

# make bench [SCALE=small|medium|large]: figures beside their baselines (bench/results.md)
bench:
	SCALE=$(SCALE) MEASURES="$(MEASURES)" bench/run.sh

.PHONY: prove test demo bench stress check-asserts check-layout check-valgrind
