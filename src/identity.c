/*-------------------------------------------------------------------------
 *
 * identity.c
 *	  The verified identity: the settings that carry it and the functions
 *	  that read it (auth.uid(), auth.user_id(), auth.email(), auth.role(),
 *	  auth.issuer(), auth.jwt()).
 *
 * The identity is kept in two settings, jwt_auth.user_id and
 * jwt_auth.claims, so that PostgreSQL's own machinery gives it the right
 * lifetime: SET LOCAL semantics end it with the transaction, a rolled-back
 * savepoint restores it, and parallel workers receive it from the leader.
 *
 * The accessors read the claims, and the user id as their "sub" (parsed by
 * the check hook into the value's "extra", which PostgreSQL keeps and
 * restores with the value).  They see an identity only while
 * jwt_auth.user_id holds that same id: a function's SET clause restores one
 * of the two settings on exit and not the other, and the pair then comes
 * from two tokens, which is no identity.  Clearing either setting clears
 * the identity.
 *
 * A failed auth.verify() leaves no identity, although the abort of its
 * transaction restores the settings to what they were: each value carries the
 * number of the jwt_auth_identity_set() call that made it, and values made
 * before the last failure are not an identity
 * (jwt_auth_identity_refused()).  The settings themselves are cleared at the
 * start of the next query (an executor hook), before any parallel worker
 * copies them.
 *
 * Their check hook refuses every non-empty value unless auth.verify() is
 * assigning it (or a parallel worker is copying the leader's state), so SET,
 * set_config(), ALTER ROLE/DATABASE ... SET, PGOPTIONS and function SET
 * clauses fail with 42501.  A value given before this library was loaded
 * (a placeholder) goes through the same hook when the library defines the
 * setting and is dropped with a warning.  Clearing is always allowed, so
 * RESET, RESET ALL and DISCARD ALL work.
 *
 * src/identity.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "jose/codec.h"
#include "identity.h"
#include "jose/json_strict.h"
#include "memory.h"
#include "pg_compat.h"

static char *identity_user_id = NULL;
static char *identity_claims = NULL;

/* The longest subject an identity may have, in bytes. */
#define IDENTITY_MAX_SUB	255

/* The "extra" of a jwt_auth.claims value. */
typedef struct ClaimsExtra
{
	char		sub[IDENTITY_MAX_SUB + 1];	/* its "sub" */
	uint64		stamp;			/* the jwt_auth_identity_set() call that made
								 * it */
	bool		origin_known;	/* set by auth.verify() in this process */
	bool		foreign;		/* if so: verified as another issuer's token */
} ClaimsExtra;

/* The claims and the user id in force, kept by the assign hooks. */
static bool has_claims = false;
static ClaimsExtra claims_in_force;
static bool has_user_id = false;
static char user_id_in_force[IDENTITY_MAX_SUB + 1];

/* jwt_auth_identity_set() calls so far, and the count at the last failed verify. */
static uint64 identity_stamp = 0;
static uint64 refused_stamp = 0;

/* While jwt_auth_identity_set() assigns: the "sub" of the claims it assigns. */
static const char *assigning_sub;
static bool assigning_foreign;

static ExecutorStart_hook_type prev_executor_start = NULL;

/*
 * jwt_auth.claims parsed to jsonb, kept until the setting changes (its
 * assign hook bumps the generation), so policies calling auth.jwt() or
 * auth.email() per row do not parse the claims per row.
 */
static uint64 claims_generation = 1;
static uint64 cached_generation = 0;
static Jsonb *cached_claims = NULL;
static MemoryContext claims_context = NULL;

/* True only while jwt_auth_identity_set() assigns the settings. */
static bool identity_assigning = false;

static bool
may_assign(char **newval)
{
	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (identity_assigning || InitializingParallelWorker)
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("permission denied to set the verified identity");
	GUC_check_errdetail("Only auth.verify() can set jwt_auth.user_id and jwt_auth.claims.");
	GUC_check_errhint("An empty value, RESET and DISCARD ALL are always allowed.");
	return false;
}

static bool
check_user_id(char **newval, void **extra, GucSource source)
{
	char	   *sub;

	if (!may_assign(newval))
		return false;
	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (strlen(*newval) > IDENTITY_MAX_SUB)
	{
		GUC_check_errdetail("The identity must be at most %d bytes long.", IDENTITY_MAX_SUB);
		return false;
	}
	sub = compat_guc_strdup(*newval);
	if (sub == NULL)
		return false;
	*extra = sub;
	return true;
}

static void
assign_user_id(const char *newval, void *extra)
{
	if (extra != NULL)
		strlcpy(user_id_in_force, extra, sizeof(user_id_in_force));
	has_user_id = (extra != NULL);
}

/* Claims are a JSON object with a string "sub" (auth.verify() made sure). */
static bool
check_claims(char **newval, void **extra, GucSource source)
{
	static JsDoc doc;			/* large; check hooks do not nest */
	const JsValue *sub;
	ClaimsExtra *ce;

	if (!may_assign(newval))
		return false;
	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	ce = (ClaimsExtra *) compat_guc_malloc(sizeof(ClaimsExtra));
	if (ce == NULL)
		return false;
	ce->origin_known = identity_assigning;
	ce->foreign = identity_assigning && assigning_foreign;
	if (identity_assigning)
		strlcpy(ce->sub, assigning_sub, sizeof(ce->sub));	/* verified already */
	else if (!jwt_auth_js_parse_object(*newval, strlen(*newval), &doc) ||
			 (sub = jwt_auth_js_get(&doc, "sub")) == NULL || sub->type != JS_STRING ||
			 sub->len == 0 || sub->len > IDENTITY_MAX_SUB)
	{
		compat_guc_free(ce);
		GUC_check_errdetail("The claims must be a JSON object with a \"sub\" string.");
		return false;
	}
	else
	{
		/* As auth.verify() keeps it: as the token spells it. */
		memcpy(ce->sub, sub->str, sub->len);
		ce->sub[sub->len] = '\0';
	}
	/* A parallel worker copies the leader's identity as it stands. */
	ce->stamp = InitializingParallelWorker ? PG_UINT64_MAX : identity_stamp;
	*extra = ce;
	return true;
}

static void
assign_claims(const char *newval, void *extra)
{
	if (extra != NULL)
		memcpy(&claims_in_force, extra, sizeof(ClaimsExtra));
	has_claims = (extra != NULL);
	claims_generation++;
}

/*
 * True if the settings in force are an identity: both set, by one token,
 * since the last failed verify.
 */
static bool
identity_valid(void)
{
	return has_claims && has_user_id && claims_in_force.stamp > refused_stamp &&
		strcmp(claims_in_force.sub, user_id_in_force) == 0;
}

/*
 * auth.verify() failed: whatever identity is in force, or comes back when
 * the failure's (sub)transaction aborts, is no identity any more.
 */
void
jwt_auth_identity_refused(void)
{
	refused_stamp = identity_stamp;
}

/*
 * Before a query runs, empty settings that hold no identity (left by a
 * failed verify, or paired from two tokens), so that parallel workers,
 * which copy the settings and cannot tell, see no identity either.  An
 * emptying undone by its transaction's abort is done again by the next
 * query.
 */
static void
executor_start(QueryDesc *queryDesc, int eflags)
{
	if ((has_claims || has_user_id) && !identity_valid() && !IsParallelWorker())
	{
		(void) set_config_option("jwt_auth.claims", "", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SET, true, ERROR, false);
		(void) set_config_option("jwt_auth.user_id", "", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SET, true, ERROR, false);
	}
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

void
jwt_auth_identity_init(void)
{
	DefineCustomStringVariable("jwt_auth.user_id",
							   "Id of the user verified by auth.verify().",
							   "Only auth.verify() can set it; clearing it is always allowed.",
							   &identity_user_id,
							   "",
							   PGC_USERSET,
							   GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   check_user_id, assign_user_id, NULL);

	DefineCustomStringVariable("jwt_auth.claims",
							   "Claims of the token verified by auth.verify(), as JSON.",
							   "Only auth.verify() can set it; clearing it is always allowed.",
							   &identity_claims,
							   "",
							   PGC_USERSET,
							   GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   check_claims, assign_claims, NULL);

	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = executor_start;
}

/*
 * Assign the identity; the only path by which it can become non-empty.
 * The claims go first so that the user id, which the policies read, is
 * never ahead of them.  An error leaves both for the (sub)transaction abort
 * to restore.
 *
 * Setting for the transaction the identity already in force changes
 * nothing (whatever it replaces comes back at the end either way), so it is
 * skipped: a token verified before each statement of a transaction costs
 * no settings work after the first.
 */
void
jwt_auth_identity_set(const char *sub, const char *claims, bool foreign, bool is_local)
{
	GucAction	action = is_local ? GUC_ACTION_LOCAL : GUC_ACTION_SET;

	if (is_local && identity_valid() && identity_user_id != NULL && identity_claims != NULL &&
		claims_in_force.origin_known && claims_in_force.foreign == foreign &&
		strcmp(identity_user_id, sub) == 0 && strcmp(identity_claims, claims) == 0)
		return;

	identity_stamp++;
	assigning_sub = sub;
	assigning_foreign = foreign;
	identity_assigning = true;
	PG_TRY();
	{
		(void) set_config_option("jwt_auth.claims", claims,
								 PGC_USERSET, PGC_S_SESSION,
								 action, true, ERROR, false);
		(void) set_config_option("jwt_auth.user_id", sub,
								 PGC_USERSET, PGC_S_SESSION,
								 action, true, ERROR, false);
	}
	PG_FINALLY();
	{
		identity_assigning = false;
	}
	PG_END_TRY();
}

/* The context auth.jwt()'s parsed claims are kept in. */
static MemoryContext
claims_memory(void)
{
	if (claims_context == NULL)
		claims_context = AllocSetContextCreate(jwt_auth_memory(), "jwt_auth identity",
											   ALLOCSET_SMALL_SIZES);
	return claims_context;
}

/*
 * The claims as jsonb (owned by the cache: copy before returning it), or
 * NULL when no identity is set.
 */
static Jsonb *
current_claims(void)
{
	if (!identity_valid() || identity_claims == NULL || identity_claims[0] == '\0')
		return NULL;
	if (cached_generation != claims_generation || cached_claims == NULL)
	{
		Jsonb	   *parsed;
		MemoryContext old;

		parsed = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													CStringGetDatum(identity_claims)));
		old = MemoryContextSwitchTo(claims_memory());
		if (cached_claims != NULL)
			pfree(cached_claims);
		cached_claims = (Jsonb *) palloc(VARSIZE(parsed));
		memcpy(cached_claims, parsed, VARSIZE(parsed));
		MemoryContextSwitchTo(old);
		cached_generation = claims_generation;
	}
	return cached_claims;
}

/* A string claim of the verified token, or NULL. */
text *
jwt_auth_claim_text(const char *name)
{
	Jsonb	   *claims = current_claims();
	JsonbValue	v;

	if (claims == NULL)
		return NULL;
	if (getKeyJsonValueFromContainer(&claims->root, name, strlen(name), &v) == NULL ||
		v.type != jbvString)
		return NULL;
	return cstring_to_text_with_len(v.val.string.val, v.val.string.len);
}

/* The verified user's id as a UUID; false if there is none, or it is no UUID. */
static bool
identity_current_uid(pg_uuid_t *uid)
{
	return identity_valid() &&
		jwt_auth_codec_uuid_parse_canonical(claims_in_force.sub, strlen(claims_in_force.sub), uid->data);
}

/*
 * The jwt_auth account the verified identity is, for the functions that act
 * on one (auth.signout_all(), auth.change_password()); 28000 if there is no
 * identity, or it comes from another issuer's token: that issuer's subject
 * may be any text, a UUID equal to a jwt_auth user's id included, and its
 * accounts and sessions are its own.
 */
void
jwt_auth_identity_require_account(pg_uuid_t *uid)
{
	if (!identity_valid())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("no verified identity"),
				 errhint("Call auth.verify() first in this transaction.")));
	if (!claims_in_force.origin_known || claims_in_force.foreign ||
		!jwt_auth_codec_uuid_parse_canonical(claims_in_force.sub, strlen(claims_in_force.sub), uid->data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("the verified identity is not a jwt_auth account"),
				 errdetail("The token was issued by another issuer, whose accounts and sessions are its own.")));
}

PG_FUNCTION_INFO_V1(jwt_auth_uid);
Datum
jwt_auth_uid(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *result = (pg_uuid_t *) palloc(sizeof(pg_uuid_t));

	/* Another issuer's subject that is not a UUID: NULL, never an error. */
	if (!identity_current_uid(result))
		PG_RETURN_NULL();
	PG_RETURN_UUID_P(result);
}

PG_FUNCTION_INFO_V1(jwt_auth_user_id);
Datum
jwt_auth_user_id(PG_FUNCTION_ARGS)
{
	if (!identity_valid())
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(claims_in_force.sub));
}

PG_FUNCTION_INFO_V1(jwt_auth_email);
Datum
jwt_auth_email(PG_FUNCTION_ARGS)
{
	text	   *t = jwt_auth_claim_text("email");

	if (t == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(t);
}

/*
 * The role claim of jwt_auth's own tokens (always "authenticated" as
 * issued).  Another issuer's "role" is its own vocabulary (Better Auth's
 * admin plugin says "admin"): a policy that trusts it must read it from
 * auth.jwt() on purpose, so for those tokens this is "authenticated".
 * Which of the two a token was is recorded by auth.verify() itself, never
 * worked out again from the claims and the settings of the moment; a
 * parallel worker, which receives the claims as text only, cannot know it,
 * so the function is PARALLEL RESTRICTED.
 */
PG_FUNCTION_INFO_V1(jwt_auth_role);
Datum
jwt_auth_role(PG_FUNCTION_ARGS)
{
	text	   *t;

	if (!identity_valid())
		PG_RETURN_NULL();
	if (!claims_in_force.origin_known)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("auth.role() cannot be called in a parallel worker")));
	if (claims_in_force.foreign)
		PG_RETURN_TEXT_P(cstring_to_text("authenticated"));
	t = jwt_auth_claim_text("role");
	if (t == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(t);
}

PG_FUNCTION_INFO_V1(jwt_auth_issuer);
Datum
jwt_auth_issuer(PG_FUNCTION_ARGS)
{
	text	   *t = jwt_auth_claim_text("iss");

	if (t == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(t);
}

PG_FUNCTION_INFO_V1(jwt_auth_jwt);
Datum
jwt_auth_jwt(PG_FUNCTION_ARGS)
{
	Jsonb	   *claims = current_claims();
	Jsonb	   *result;

	if (claims == NULL)
		PG_RETURN_NULL();
	result = (Jsonb *) palloc(VARSIZE(claims));
	memcpy(result, claims, VARSIZE(claims));
	PG_RETURN_JSONB_P(result);
}
