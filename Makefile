EXTENSION = jwt_auth
EXTVERSION = 1.2

MODULE_big = jwt_auth
# The server-free JOSE core (src/jose), then the server's units.
JOSE_OBJS = src/jose/codec.o src/jose/json_strict.o src/jose/mac.o src/jose/signature.o \
	src/jose/key_policy.o src/jose/token.o src/jose/claims.o
OBJS = $(JOSE_OBJS) src/jwt_auth.o src/memory.o src/callable.o src/random.o src/invalidation.o \
	src/guc.o src/config.o src/db.o src/secrets.o src/keys.o src/issuers.o src/token_cache.o \
	src/session_scan.o src/session_check.o src/identity.o src/throttle_file.o src/throttle.o \
	src/email.o src/jwk.o src/password.o src/session_store.o src/refresh_token.o src/revocation.o \
	src/access_token.o src/verify_policy.o src/account_token.o src/reauthenticate.o \
	src/signup.o src/signin.o src/verify.o src/refresh.o src/signout.o src/change_password.o \
	src/key_admin.o src/jwks.o src/trust_issuer.o src/password_reset.o src/email_verification.o \
	src/account_admin.o src/delete_account.o

# jwt_auth.sql is the install script of the current version, copied to
# jwt_auth--$(EXTVERSION).sql at build time.  Released versions keep their
# install script (jwt_auth--1.0.sql, jwt_auth--1.1.sql) for the upgrade
# test, and every release ships an upgrade script from the one before, even
# when it is empty.
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
DATA = $(filter-out $(DATA_built),$(wildcard $(EXTENSION)--*.sql))

REGRESS = install signup signin verify hostile identity sessions session_scan keys issuers settings configure cache todo accounts parallel upgrade
ISOLATION = signup_race key_revocation session_revocation refresh_revocation refresh_race password_race config_change account_token_race

SHLIB_LINK = -lcrypto
PG_CPPFLAGS = -I$(srcdir)/src -DJWT_AUTH_VERSION='"$(EXTVERSION)"'
PG_CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
# Export only the entry points (src/pg_compat.h marks them), on every
# PostgreSQL version: the server loads the library RTLD_GLOBAL, so any other
# global symbol could clash with another library's.  test/exports.sh checks.
PG_CFLAGS += -fvisibility=hidden

EXTRA_CLEAN = $(DATA_built) test/fuzz/fuzz_token

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(EXTENSION).sql
	cp $< $@

# PGXS tracks no header dependencies: rebuild every object when one changes.
$(OBJS): $(wildcard $(srcdir)/src/*.h $(srcdir)/src/jose/*.h)

# libFuzzer target for the token parser and claim checks (test/fuzz), built
# from the JOSE core alone, without the server, with AddressSanitizer and UndefinedBehaviorSanitizer.
# "make fuzz" runs it for FUZZ_SECONDS (default 600); "make fuzz-smoke" for 30.
FUZZ_SECONDS ?= 600
FUZZ_CC ?= clang
FUZZ_SRCS = test/fuzz/fuzz_token.c $(JOSE_OBJS:.o=.c)

test/fuzz/fuzz_token: $(FUZZ_SRCS) $(wildcard $(srcdir)/src/jose/*.h)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I$(srcdir)/src -o $@ $(FUZZ_SRCS) -lcrypto

.PHONY: fuzz fuzz-smoke
fuzz: test/fuzz/fuzz_token
	mkdir -p test/fuzz/work
	test/fuzz/fuzz_token -max_total_time=$(FUZZ_SECONDS) -max_len=9000 -timeout=5 \
		-print_final_stats=1 test/fuzz/work test/fuzz/corpus

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=30
