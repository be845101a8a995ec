/*-------------------------------------------------------------------------
 *
 * key_admin.c
 *	  auth.rotate_key() and auth.import_key(): making and importing keys.
 *
 * Keys are made with OpenSSL: 32 random bytes for HS256, an EC key on P-256
 * for ES256, a 2048-bit RSA key for RS256, an Ed25519 key for EdDSA.
 * Private keys are stored as PKCS#8 PEM in auth.keys.secret, readable by
 * the table's owner only; the public keys as PEM in auth.keys.public_key,
 * published by auth.jwks() (jwks.c).
 * A new key is the newest, so it signs from the next token on; older keys
 * keep verifying until auth.retire_key() retires them.
 *
 * src/key_admin.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "callable.h"
#include "db.h"
#include "jose/key_policy.h"
#include "keys.h"
#include "jose/mac.h"
#include "pg_compat.h"
#include "random.h"
#include "secrets.h"
#include "jose/token.h"

#define MAX_IMPORTED_KEY	16384

static void
check_alg(FunctionCallInfo fcinfo, const char **alg)
{
	char	   *a;

	jwt_auth_require_argument(fcinfo, 0, "alg");
	a = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (strcmp(a, "HS256") != 0 && strcmp(a, "ES256") != 0 && strcmp(a, "RS256") != 0 &&
		strcmp(a, "EdDSA") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unsupported key algorithm \"%s\"", a),
				 errhint("Use HS256, ES256, RS256 or EdDSA.")));
	*alg = a;
}

/* PEM text of a private (PKCS#8) or public key. */
static char *
pem_of(EVP_PKEY *pkey, bool private_key)
{
	BIO		   *bio = BIO_new(BIO_s_mem());
	char	   *data;
	long		len;
	char	   *result;
	int			ok;

	if (bio == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	ok = private_key ? PEM_write_bio_PKCS8PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
		: PEM_write_bio_PUBKEY(bio, pkey);
	len = BIO_get_mem_data(bio, &data);
	if (!ok || len <= 0)
	{
		BIO_free(bio);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not encode key")));
	}
	result = pnstrdup(data, len);
	BIO_free(bio);
	return result;
}

/*
 * Refuse (22023) a private key that is not fit for "alg" in every respect
 * (jwt_auth_key_policy_problem()); "pkey" is freed first.  Generated keys go
 * through it too.
 */
static void
require_fit(EVP_PKEY *pkey, const char *alg)
{
	const char *problem = jwt_auth_key_policy_problem(pkey, jwt_auth_signature_alg(alg), true);

	if (problem != NULL)
	{
		EVP_PKEY_free(pkey);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key does not fit %s", alg),
				 errdetail_internal("%s", problem)));
	}
}

/* clock_timestamp(): two keys made in one transaction are still ordered. */
static DbQuery insert_key = {
	.sql = "INSERT INTO auth.keys (kid, alg, secret, public_key, created_at) "
	"VALUES ($1, $2, $3, $4, pg_catalog.clock_timestamp())",
	.tables = {"keys"},
	.nargs = 4,
	.argtypes = {TEXTOID, TEXTOID, BYTEAOID, TEXTOID},
	.expect = SPI_OK_INSERT,
};

/* Insert a key as the newest; kid NULL makes a random one.  Returns the kid. */
static text *
store_key(const char *alg, const char *kid, const unsigned char *secret, size_t secret_len,
		  const char *public_pem)
{
	char		random_kid[25];
	Datum		args[4];
	bool		nulls[4] = {false, false, false, public_pem == NULL};
	bytea	   *sec = (bytea *) palloc(VARHDRSZ + secret_len);

	if (kid == NULL)
	{
		unsigned char raw[12];

		jwt_auth_random_bytes(raw, sizeof(raw));
		for (int i = 0; i < 12; i++)
			snprintf(random_kid + 2 * i, 3, "%02x", raw[i]);
		kid = random_kid;
	}
	SET_VARSIZE(sec, VARHDRSZ + secret_len);
	memcpy(VARDATA(sec), secret, secret_len);
	args[0] = CStringGetTextDatum(kid);
	args[1] = CStringGetTextDatum(alg);
	args[2] = PointerGetDatum(sec);
	args[3] = public_pem ? CStringGetTextDatum(public_pem) : (Datum) 0;

	jwt_auth_db_connect();
	(void) jwt_auth_db_run(&insert_key, args, nulls, NULL);
	jwt_auth_db_finish();
	explicit_bzero(VARDATA(sec), secret_len);
	return cstring_to_text(kid);
}

static text *
store_pkey(const char *alg, const char *kid, EVP_PKEY *pkey)
{
	char	   *private_pem = pem_of(pkey, true);
	char	   *public_pem = pem_of(pkey, false);
	text	   *result = store_key(alg, kid, (unsigned char *) private_pem,
								   strlen(private_pem), public_pem);

	explicit_bzero(private_pem, strlen(private_pem));
	return result;
}

static Datum
rotate_key_impl(PG_FUNCTION_ARGS)
{
	const char *alg;
	EVP_PKEY   *pkey;
	text	   *volatile kid = NULL;

	jwt_auth_db_require_version(DB_VERSION_1_1);
	check_alg(fcinfo, &alg);
	if (strcmp(alg, "HS256") == 0)
	{
		unsigned char secret[32];

		jwt_auth_random_bytes(secret, sizeof(secret));
		kid = store_key(alg, NULL, secret, sizeof(secret), NULL);
		explicit_bzero(secret, sizeof(secret));
		PG_RETURN_TEXT_P(kid);
	}
	if (strcmp(alg, "ES256") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(alg, "EdDSA") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
	if (pkey == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a %s key", alg)));
	require_fit(pkey, alg);
	PG_TRY();
	{
		kid = store_pkey(alg, NULL, pkey);
	}
	PG_FINALLY();
	{
		EVP_PKEY_free(pkey);
	}
	PG_END_TRY();
	PG_RETURN_TEXT_P(kid);
}

static Datum
import_key_impl(PG_FUNCTION_ARGS)
{
	const char *alg;
	bytea	   *key;
	char	   *volatile kid = NULL;
	size_t		len;
	EVP_PKEY   *pkey;
	BIO		   *bio;
	text	   *volatile result = NULL;

	jwt_auth_db_require_version(DB_VERSION_1_1);
	check_alg(fcinfo, &alg);
	jwt_auth_require_argument(fcinfo, 1, "key");
	if (toast_raw_datum_size(PG_GETARG_DATUM(1)) - VARHDRSZ > MAX_IMPORTED_KEY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key is too long"),
				 errdetail("A key may be at most %d bytes long.", MAX_IMPORTED_KEY)));
	key = PG_GETARG_BYTEA_PP(1);
	len = VARSIZE_ANY_EXHDR(key);
	if (!PG_ARGISNULL(2))
	{
		kid = text_to_cstring(PG_GETARG_TEXT_PP(2));
		if (strlen(kid) == 0 || strlen(kid) > TOKEN_MAX_KID)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("kid must be 1 to %d bytes long", TOKEN_MAX_KID)));
	}

	if (strcmp(alg, "HS256") == 0)
	{
		if (len < HMAC_MIN_SECRET)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("HS256 key is too short"),
					 errdetail("An HS256 secret must be at least %d bytes long.", HMAC_MIN_SECRET)));
		PG_RETURN_TEXT_P(store_key(alg, kid, (unsigned char *) VARDATA_ANY(key), len, NULL));
	}

	bio = BIO_new_mem_buf(VARDATA_ANY(key), (int) len);
	pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, jwt_auth_key_policy_no_passphrase, NULL) : NULL;
	BIO_free(bio);
	ERR_clear_error();
	if (pkey == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key is not a PEM private key"),
				 errhint("For ES256, RS256 and EdDSA, pass the private key in PEM, e.g. convert_to(pem, 'UTF8').")));
	require_fit(pkey, alg);
	PG_TRY();
	{
		result = store_pkey(alg, kid, pkey);
	}
	PG_FINALLY();
	{
		EVP_PKEY_free(pkey);
	}
	PG_END_TRY();
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(jwt_auth_rotate_key);
Datum
jwt_auth_rotate_key(PG_FUNCTION_ARGS)
{
	return rotate_key_impl(fcinfo);
}

PG_FUNCTION_INFO_V1(jwt_auth_import_key);
Datum
jwt_auth_import_key(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(import_key_impl, fcinfo);
}
