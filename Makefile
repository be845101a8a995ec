EXTENSION = jwt_auth
EXTVERSION = 1.1

MODULE_big = jwt_auth
OBJS = src/jwt_auth.o src/guc.o src/identity.o src/keys.o src/key_admin.o src/tables.o \
	src/token.o src/json_strict.o src/email.o src/password.o src/sessions.o \
	src/signup.o src/signin.o src/verify.o src/refresh.o src/signout.o

# jwt_auth.sql is the install script of the current version, copied to
# jwt_auth--$(EXTVERSION).sql at build time.  Released versions keep their
# install script (jwt_auth--1.0.sql) for the upgrade test, and every release
# ships an upgrade script from the one before, even when it is empty.
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
DATA = $(filter-out $(DATA_built),$(wildcard $(EXTENSION)--*.sql))

REGRESS = install signup signin verify identity sessions keys settings todo parallel upgrade
ISOLATION = signup_race key_revocation

SHLIB_LINK = -lcrypto
PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers

EXTRA_CLEAN = $(DATA_built)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(EXTENSION).sql
	cp $< $@
