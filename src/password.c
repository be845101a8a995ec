/*-------------------------------------------------------------------------
 *
 * password.c
 *	  Password rules and hashing (bcrypt through pgcrypto).
 *
 * bcrypt reads only the first 72 bytes of its input.  So that two passwords
 * differing after byte 72 never share a hash, the password is first hashed
 * with SHA-256 and the base64url text of that digest (43 bytes) is what
 * bcrypt sees.  Passwords are bounded to 1024 bytes before any hashing.
 *
 * pgcrypto's crypt() and gen_salt() are called through its shared library
 * rather than through SQL, so neither the schema pgcrypto lives in nor the
 * caller's search_path can change which functions run.
 *
 * src/password.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "password.h"
#include "jose/codec.h"
#include "pg_compat.h"

#define PREHASH_LEN 43

static PGFunction pgcrypto_crypt = NULL;
static PGFunction pgcrypto_gen_salt = NULL;

static void
load_pgcrypto(void)
{
	if (pgcrypto_crypt != NULL)
		return;
	pgcrypto_gen_salt = load_external_function("$libdir/pgcrypto",
											   "pg_gen_salt_rounds", true, NULL);
	pgcrypto_crypt = load_external_function("$libdir/pgcrypto",
											"pg_crypt", true, NULL);
}

/* True if the password, possibly still toasted, fits the bound. */
bool
jwt_auth_password_size_ok(Datum password)
{
	return toast_raw_datum_size(password) - VARHDRSZ <= PASSWORD_MAX_BYTES;
}

/*
 * Apply the rules for a new password and return it detoasted.  The length
 * bound is checked before the value is even detoasted.
 */
text *
jwt_auth_password_check_rules(Datum password)
{
	text	   *pw;

	if (!jwt_auth_password_size_ok(password))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("password is too long"),
				 errdetail("A password may be at most %d bytes long.",
						   PASSWORD_MAX_BYTES)));
	pw = DatumGetTextPP(password);
	if (pg_mbstrlen_with_len(VARDATA_ANY(pw), VARSIZE_ANY_EXHDR(pw)) < PASSWORD_MIN_CHARS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("password must be at least %d characters long",
						PASSWORD_MIN_CHARS)));
	return pw;
}

/* base64url(SHA-256(password)), the text bcrypt hashes. */
static text *
prehash(text *password)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	char		out[PREHASH_LEN + 2];
	text	   *result;

	if (!EVP_Digest(VARDATA_ANY(password), VARSIZE_ANY_EXHDR(password),
					digest, &digest_len, EVP_sha256(), NULL) || digest_len != 32)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not hash password")));
	jwt_auth_codec_b64url_encode(digest, digest_len, out);
	result = cstring_to_text_with_len(out, PREHASH_LEN);
	explicit_bzero(digest, sizeof(digest));
	explicit_bzero(out, sizeof(out));
	return result;
}

static Datum
bcrypt_setting(int cost)
{
	load_pgcrypto();
	return DirectFunctionCall2(pgcrypto_gen_salt, CStringGetTextDatum("bf"),
							   Int32GetDatum(cost));
}

static char *
bcrypt(text *password, Datum setting)
{
	text	   *pre = prehash(password);
	text	   *hash;

	load_pgcrypto();
	hash = DatumGetTextPP(DirectFunctionCall2(pgcrypto_crypt, PointerGetDatum(pre),
											  setting));
	explicit_bzero(VARDATA_ANY(pre), PREHASH_LEN);
	pfree(pre);
	return text_to_cstring(hash);
}

char *
jwt_auth_password_hash(text *password, int cost)
{
	return bcrypt(password, bcrypt_setting(cost));
}

/*
 * True if "password" matches the stored hash.  With stored == NULL (no such
 * account) a hash at the current cost is still computed, so that the time
 * taken does not tell whether the account exists.
 */
bool
jwt_auth_password_matches(text *password, const char *stored, int cost)
{
	Datum		setting = stored ? CStringGetTextDatum(stored) : bcrypt_setting(cost);
	char	   *computed = bcrypt(password, setting);
	size_t		len = strlen(computed);
	bool		match;

	match = stored != NULL && strlen(stored) == len &&
		CRYPTO_memcmp(computed, stored, len) == 0;
	explicit_bzero(computed, len);
	pfree(computed);
	return match;
}

/*
 * After a wrong password was checked against a hash of cost "from", do the
 * bcrypt work that brings the total to that of one hash at cost "to": the
 * hashes at costs from .. to - 1 together take as long as one at "to" less
 * one at "from" (each step doubles the time).  So every failed sign-in
 * takes the time of one hash at "to", whatever the cost of the account's
 * stored hash.
 */
void
jwt_auth_password_pad(text *password, int from, int to)
{
	for (int c = Max(from, 4); c < to; c++)
	{
		char	   *h = bcrypt(password, bcrypt_setting(c));

		explicit_bzero(h, strlen(h));
		pfree(h);
	}
}

/* The cost of a stored bcrypt hash ("$2a$NN$..."), or -1. */
int
jwt_auth_password_cost(const char *stored)
{
	if (stored == NULL || strlen(stored) < 7 || stored[0] != '$' || stored[1] != '2' ||
		stored[3] != '$' || stored[6] != '$' ||
		!isdigit((unsigned char) stored[4]) || !isdigit((unsigned char) stored[5]))
		return -1;
	return (stored[4] - '0') * 10 + (stored[5] - '0');
}
