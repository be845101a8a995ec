/*-------------------------------------------------------------------------
 *
 * trust_issuer.c
 *	  auth.trust_issuer(issuer, jwks, audience, max_lifetime): trust another
 *	  issuer's tokens, with the keys of its JWKS (RFC 7517), replacing those
 *	  it had.
 *
 * No HTTP from inside the database: the application, or a scheduled job,
 * fetches the issuer's JWKS and passes it here.  Every key is checked first
 * (jwk.c); one that cannot be trusted refuses the whole set, and nothing
 * changes.  The keys are stored as PEM in auth.issuer_keys, which a trigger
 * watches: every backend drops its cached keys of other issuers when the
 * change commits.
 *
 * src/trust_issuer.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include <openssl/pem.h>

#include "callable.h"
#include "config.h"
#include "db.h"
#include "jwk.h"
#include "pg_compat.h"
#include "jose/token.h"

/* The most keys one issuer's JWKS may hold. */
#define MAX_ISSUER_KEYS		32

/* The longest lifetime an issuer's tokens may be given: 30 days. */
#define MAX_ISSUER_LIFETIME	(30 * SECS_PER_DAY)

/* PEM text of a public key, or NULL if OpenSSL cannot write it. */
static char *
public_pem(EVP_PKEY *pkey)
{
	BIO		   *bio = BIO_new(BIO_s_mem());
	char	   *data;
	long		len;
	char	   *result = NULL;

	if (bio != NULL && PEM_write_bio_PUBKEY(bio, pkey) == 1 &&
		(len = BIO_get_mem_data(bio, &data)) > 0)
		result = pnstrdup(data, len);
	BIO_free(bio);
	return result;
}

static void
refuse_jwks(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid JWKS"),
			 errdetail("%s", detail)));
}

/* The seconds an interval stands for, a month being 30 days, as "<" has it. */
static int64
interval_seconds(const Interval *span)
{
	return span->time / USECS_PER_SEC + (int64) span->day * SECS_PER_DAY +
		(int64) span->month * DAYS_PER_MONTH * SECS_PER_DAY;
}

static DbQuery store_issuer = {
	.sql = "INSERT INTO auth.issuers (issuer, audience, max_lifetime) "
	"VALUES ($1, $2, pg_catalog.justify_hours(pg_catalog.make_interval(secs => $3))) "
	"ON CONFLICT (issuer) DO UPDATE SET audience = EXCLUDED.audience, "
	"max_lifetime = EXCLUDED.max_lifetime, trusted_at = pg_catalog.now()",
	.tables = {"issuers"},
	.nargs = 3,
	.argtypes = {TEXTOID, TEXTOID, FLOAT8OID},
	.expect = SPI_OK_INSERT,
};

static DbQuery delete_issuer_keys = {
	.sql = "DELETE FROM auth.issuer_keys WHERE issuer OPERATOR(pg_catalog.=) $1",
	.tables = {"issuer_keys"},
	.nargs = 1,
	.argtypes = {TEXTOID},
	.expect = SPI_OK_DELETE,
};

static DbQuery insert_issuer_key = {
	.sql = "INSERT INTO auth.issuer_keys (issuer, kid, alg, public_key) VALUES ($1, $2, $3, $4)",
	.tables = {"issuer_keys", "issuers"},
	.nargs = 4,
	.argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID},
	.expect = SPI_OK_INSERT,
};

static Datum
trust_issuer_impl(PG_FUNCTION_ARGS)
{
	char	   *issuer;
	Jsonb	   *jwks;
	JsonbValue	keys;
	JwkKey		found[MAX_ISSUER_KEYS];
	char	   *pems[MAX_ISSUER_KEYS];
	int			n;
	int64		max_lifetime;
	Datum		args[4];
	bool		nulls[3] = {false, false, false};

	jwt_auth_db_require_version(DB_VERSION_1_1);
	jwt_auth_require_argument(fcinfo, 0, "issuer");
	jwt_auth_require_argument(fcinfo, 1, "jwks");
	jwt_auth_require_writable("auth.trust_issuer()", NULL);
	issuer = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (strlen(issuer) == 0 || strlen(issuer) > TOKEN_MAX_NAME)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("issuer must be 1 to %d bytes long", TOKEN_MAX_NAME)));
	if (strcmp(issuer, jwt_auth_config_get()->issuer) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("issuer \"%s\" is jwt_auth's own", issuer),
				 errdetail("Tokens that name the issuer setting in force are checked with the keys of auth.keys.")));
	if (!PG_ARGISNULL(2) &&
		(VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(2)) == 0 ||
		 VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(2)) > TOKEN_MAX_NAME))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("audience must be 1 to %d bytes long, or NULL", TOKEN_MAX_NAME)));
	max_lifetime = PG_ARGISNULL(3) ? 0 : interval_seconds(PG_GETARG_INTERVAL_P(3));
	if (!PG_ARGISNULL(3) && (max_lifetime < 1 || max_lifetime > MAX_ISSUER_LIFETIME))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_lifetime must be between 1 second and 30 days"),
				 errdetail("It bounds how long a token of the issuer may be valid, from its \"iat\" (or \"nbf\") to its \"exp\".")));

	jwks = PG_GETARG_JSONB_P(1);
	if (!JB_ROOT_IS_OBJECT(jwks) ||
		getKeyJsonValueFromContainer(&jwks->root, "keys", 4, &keys) == NULL ||
		keys.type != jbvBinary || !JsonContainerIsArray(keys.val.binary.data))
		refuse_jwks("A JWKS is a JSON object whose \"keys\" member is an array.");
	n = (int) JsonContainerSize(keys.val.binary.data);
	if (n == 0 || n > MAX_ISSUER_KEYS)
		refuse_jwks(psprintf("A JWKS must hold 1 to %d keys.", MAX_ISSUER_KEYS));

	for (int i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(keys.val.binary.data, i);
		const char *problem = NULL;

		if (v->type != jbvBinary || !jwt_auth_jwk_public_key(v->val.binary.data, &found[i], &problem))
			refuse_jwks(psprintf("Key %d of the JWKS: %s", i + 1,
								 problem ? problem : "it is not a JSON object."));
		pems[i] = public_pem(found[i].pkey);
		EVP_PKEY_free(found[i].pkey);
		if (pems[i] == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not encode key %d of the JWKS", i + 1)));
		for (int j = 0; j < i; j++)
			if (strcmp(found[j].kid, found[i].kid) == 0)
				refuse_jwks(psprintf("Key %d of the JWKS has the kid of key %d.", i + 1, j + 1));
	}

	args[0] = CStringGetTextDatum(issuer);
	args[1] = PG_ARGISNULL(2) ? (Datum) 0 : PointerGetDatum(PG_GETARG_TEXT_PP(2));
	nulls[1] = PG_ARGISNULL(2);
	args[2] = Float8GetDatum((double) max_lifetime);
	nulls[2] = PG_ARGISNULL(3);
	jwt_auth_db_connect();
	(void) jwt_auth_db_run(&store_issuer, args, nulls, NULL);
	(void) jwt_auth_db_run(&delete_issuer_keys, args, NULL, NULL);
	for (int i = 0; i < n; i++)
	{
		args[1] = CStringGetTextDatum(found[i].kid);
		args[2] = CStringGetTextDatum(found[i].alg);
		args[3] = CStringGetTextDatum(pems[i]);
		(void) jwt_auth_db_run(&insert_issuer_key, args, NULL, NULL);
	}
	jwt_auth_db_finish();
	PG_RETURN_INT32(n);
}

PG_FUNCTION_INFO_V1(jwt_auth_trust_issuer);
Datum
jwt_auth_trust_issuer(PG_FUNCTION_ARGS)
{
	return trust_issuer_impl(fcinfo);
}
