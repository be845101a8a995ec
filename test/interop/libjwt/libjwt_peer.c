/*-------------------------------------------------------------------------
 *
 * libjwt_peer.c
 *	  A C service's side of the libjwt interoperability test: verifies and
 *	  signs tokens with libjwt (Debian's libjwt 1.10), the way a C program
 *	  talking to jwt_auth would.  run.sh drives it.
 *
 * libjwt 1.10 takes the algorithm from the token's header and, given no
 * key, checks no signature at all; it checks no claim either.  So this
 * program always passes a key, refuses a token whose algorithm is not the
 * one expected of that key (jwt_get_alg() after the signature check), and
 * checks "typ", "iss", "aud", "exp", "nbf" and "iat" itself.
 *
 * Tokens are read from standard input and never printed, except the ones
 * "sign" and "low-s" make; keys are read from files.
 *
 *   libjwt_peer verify ALG KEYFILE ISS AUD < token
 *	    Prints "alg=… kid=… sub=… sid=… jti=… email=…" and exits 0, or
 *	    prints "refused: WHY" and exits 1.
 *   libjwt_peer sign ALG KEYFILE KID ISS AUD SUB SID TTL
 *	    Prints a token of the claims iss, aud, sub, sid (none when SID is
 *	    "-"), role "authenticated", a random jti, iat now and exp now + TTL
 *	    seconds, with "kid" KID in the header.
 *   libjwt_peer pem EC X Y | pem RSA N E
 *	    Prints the PEM public key of a JSON Web Key's members (base64url).
 *   libjwt_peer s-form < token
 *	    Prints "low" or "high": the form of an ES256 signature's s.
 *   libjwt_peer low-s < token
 *	    Prints the ES256 token with s replaced by n - s if s > n / 2: both
 *	    verify, and jwt_auth accepts only the low form for its own keys.
 *
 * KEYFILE holds an HS256 secret's raw bytes, or a PEM key: private to
 * sign, public to verify.  Exit status 2: a usage or internal error.
 *
 * test/interop/libjwt/libjwt_peer.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

/* Clock skew tolerated on nbf and iat, as jwt_auth's default leeway. */
#define LEEWAY 30
#define INPUT_MAX 65536

/* The order n of P-256's base point, big-endian. */
static const unsigned char p256_order[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};

static void
die(const char *what)
{
	fprintf(stderr, "libjwt_peer: %s\n", what);
	exit(2);
}

static int
refuse(const char *why)
{
	printf("refused: %s\n", why);
	return 1;
}

/* A whole file (or stdin when path is NULL) into a NUL-terminated buffer. */
static unsigned char *
read_all(const char *path, size_t *len)
{
	FILE	   *f = path ? fopen(path, "rb") : stdin;
	unsigned char *buf = malloc(INPUT_MAX + 1);
	size_t		n;

	if (f == NULL || buf == NULL)
		die("cannot read the input");
	n = fread(buf, 1, INPUT_MAX + 1, f);
	if (ferror(f) || n > INPUT_MAX)
		die("input unreadable or too long");
	if (path)
		fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* A token from stdin, without the trailing newline. */
static char *
read_token(void)
{
	size_t		len;
	char	   *tok = (char *) read_all(NULL, &len);

	while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] == '\r'))
		tok[--len] = '\0';
	if (len == 0 || strlen(tok) != len)
		die("no token on standard input");
	return tok;
}

static jwt_alg_t
parse_alg(const char *name)
{
	jwt_alg_t	alg = jwt_str_alg(name);

	if (alg == JWT_ALG_INVAL || alg == JWT_ALG_NONE)
		die("ALG must name a signing algorithm libjwt knows");
	return alg;
}

static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Unpadded base64url into out (at least len * 3 / 4 bytes); -1 if invalid. */
static long
b64url_decode(const char *in, size_t len, unsigned char *out)
{
	unsigned long acc = 0;
	int			bits = 0;
	long		n = 0;

	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++)
	{
		int			v = b64url_value(in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned long) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			out[n++] = (unsigned char) (acc >> bits);
		}
	}
	/* The unused low bits of the last character must be zero. */
	if (bits > 0 && (acc & ((1UL << bits) - 1)) != 0)
		return -1;
	return n;
}

static void
b64url_encode(const unsigned char *in, size_t len, char *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned long acc = 0;
	int			bits = 0;
	size_t		n = 0;

	for (size_t i = 0; i < len; i++)
	{
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6)
		{
			bits -= 6;
			out[n++] = alphabet[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[n++] = alphabet[(acc << (6 - bits)) & 63];
	out[n] = '\0';
}

static const char *
or_dash(const char *s)
{
	return s ? s : "-";
}

/*
 * The checks libjwt 1.10 leaves to its caller, on a token whose signature
 * jwt_decode() found good: NULL if it passes, else why not.
 */
static const char *
check_token(jwt_t *jwt, jwt_alg_t expected, const char *iss, const char *aud)
{
	long		now = (long) time(NULL);
	const char *s;
	long		t;

	/* jwt_decode() checked the signature with the header's algorithm. */
	if (jwt_get_alg(jwt) != expected)
		return "the token's algorithm is not the key's";
	s = jwt_get_header(jwt, "typ");
	if (s != NULL && strcmp(s, "JWT") != 0)
		return "typ is not JWT";
	s = jwt_get_grant(jwt, "iss");
	if (s == NULL || strcmp(s, iss) != 0)
		return "wrong or missing iss";
	s = jwt_get_grant(jwt, "aud");
	if (s == NULL || strcmp(s, aud) != 0)
		return "wrong or missing aud";
	/* A missing or non-integer claim reads as 0. */
	t = jwt_get_grant_int(jwt, "exp");
	if (t <= 0)
		return "missing or invalid exp";
	if (now >= t)
		return "expired";
	if (jwt_get_grant_int(jwt, "nbf") > now + LEEWAY)
		return "not yet valid (nbf)";
	if (jwt_get_grant_int(jwt, "iat") > now + LEEWAY)
		return "issued in the future (iat)";
	if (jwt_get_grant(jwt, "sub") == NULL)
		return "no sub";
	return NULL;
}

/*
 * verify ALG KEYFILE ISS AUD: what a careful libjwt user does.  The key is
 * always given, so jwt_decode() checks a signature; but it checks it with
 * the algorithm the header names, so that must be the expected one.
 */
static int
cmd_verify(char **argv)
{
	jwt_alg_t	expected = parse_alg(argv[0]);
	size_t		keylen;
	unsigned char *key = read_all(argv[1], &keylen);
	char	   *token = read_token();
	jwt_t	   *jwt = NULL;
	const char *why;
	int			err;

	if (keylen == 0)
		die("empty key");
	err = jwt_decode(&jwt, token, key, (int) keylen);
	OPENSSL_cleanse(key, keylen);
	free(key);
	free(token);
	if (err != 0 || jwt == NULL)
		return refuse("libjwt found the token malformed or its signature bad");
	why = check_token(jwt, expected, argv[2], argv[3]);
	if (why == NULL)
		printf("alg=%s kid=%s sub=%s sid=%s jti=%s email=%s\n",
			   jwt_alg_str(jwt_get_alg(jwt)), or_dash(jwt_get_header(jwt, "kid")),
			   jwt_get_grant(jwt, "sub"), or_dash(jwt_get_grant(jwt, "sid")),
			   or_dash(jwt_get_grant(jwt, "jti")), or_dash(jwt_get_grant(jwt, "email")));
	jwt_free(jwt);
	return why == NULL ? 0 : refuse(why);
}

/* sign ALG KEYFILE KID ISS AUD SUB SID TTL */
static int
cmd_sign(char **argv)
{
	jwt_alg_t	alg = parse_alg(argv[0]);
	size_t		keylen;
	unsigned char *key = read_all(argv[1], &keylen);
	long		ttl = strtol(argv[7], NULL, 10);
	long		now = (long) time(NULL);
	unsigned char r[16];
	char		jti[37];
	jwt_t	   *jwt = NULL;
	char	   *token;

	if (RAND_bytes(r, sizeof(r)) != 1)
		die("no random bytes");
	r[6] = (r[6] & 0x0f) | 0x40;	/* a version 4 UUID */
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(jti, sizeof(jti),
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
			 r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);

	if (jwt_new(&jwt) != 0 ||
		jwt_add_header(jwt, "kid", argv[2]) != 0 ||
		jwt_add_grant(jwt, "iss", argv[3]) != 0 ||
		jwt_add_grant(jwt, "aud", argv[4]) != 0 ||
		jwt_add_grant(jwt, "sub", argv[5]) != 0 ||
		(strcmp(argv[6], "-") != 0 && jwt_add_grant(jwt, "sid", argv[6]) != 0) ||
		jwt_add_grant(jwt, "role", "authenticated") != 0 ||
		jwt_add_grant(jwt, "jti", jti) != 0 ||
		jwt_add_grant_int(jwt, "iat", now) != 0 ||
		jwt_add_grant_int(jwt, "exp", now + ttl) != 0 ||
		jwt_set_alg(jwt, alg, key, (int) keylen) != 0)
		die("libjwt could not build the token");
	OPENSSL_cleanse(key, keylen);
	free(key);
	token = jwt_encode_str(jwt);
	if (token == NULL)
		die("libjwt could not sign the token");
	printf("%s\n", token);
	free(token);
	jwt_free(jwt);
	return 0;
}

/* A JWK member (base64url) as a BIGNUM, or a fixed-width byte string. */
static long
jwk_member(const char *b64, unsigned char *out, size_t cap)
{
	size_t		len = strlen(b64);
	long		n;

	if (len > cap * 4 / 3 + 2)
		die("JWK member too long");
	n = b64url_decode(b64, len, out);
	if (n <= 0)
		die("JWK member is not base64url");
	return n;
}

/* pem EC X Y | pem RSA N E: the SubjectPublicKeyInfo PEM of a JWK. */
static int
cmd_pem(char **argv)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, strcmp(argv[0], "EC") == 0 ? "EC" : "RSA", NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY   *pkey = NULL;
	BIGNUM	   *n = NULL,
			   *e = NULL;
	unsigned char a[1024],
				b[1024];

	if (ctx == NULL || bld == NULL)
		die("OpenSSL");
	if (strcmp(argv[0], "EC") == 0)
	{
		unsigned char point[65];

		if (jwk_member(argv[1], a, sizeof(a)) != 32 || jwk_member(argv[2], b, sizeof(b)) != 32)
			die("a P-256 coordinate is not 32 bytes");
		point[0] = 0x04;		/* uncompressed */
		memcpy(point + 1, a, 32);
		memcpy(point + 33, b, 32);
		if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) ||
			!OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)))
			die("OpenSSL");
	}
	else if (strcmp(argv[0], "RSA") == 0)
	{
		long		nlen = jwk_member(argv[1], a, sizeof(a));
		long		elen = jwk_member(argv[2], b, sizeof(b));

		n = BN_bin2bn(a, (int) nlen, NULL);
		e = BN_bin2bn(b, (int) elen, NULL);
		if (n == NULL || e == NULL ||
			!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
			!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			die("OpenSSL");
	}
	else
		die("pem: the key type must be EC or RSA");

	params = OSSL_PARAM_BLD_to_param(bld);
	if (params == NULL ||
		EVP_PKEY_fromdata_init(ctx) != 1 ||
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
		PEM_write_PUBKEY(stdout, pkey) != 1)
		die("OpenSSL refused the public key");
	EVP_PKEY_free(pkey);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	return 0;
}

/*
 * s-form / low-s: the signature of an ES256 token, its s compared with
 * n / 2, and replaced by n - s when greater.
 */
static int
cmd_s_form(int rewrite)
{
	char	   *token = read_token();
	char	   *dot = strrchr(token, '.');
	unsigned char sig[66];
	char		enc[90];
	BIGNUM	   *s,
			   *n,
			   *half;
	int			high;

	if (dot == NULL || strlen(dot + 1) != 86 || b64url_decode(dot + 1, 86, sig) != 64)
		die("not an ES256 token (a 64-byte r || s signature)");
	s = BN_bin2bn(sig + 32, 32, NULL);
	n = BN_bin2bn(p256_order, 32, NULL);
	half = BN_new();
	if (s == NULL || n == NULL || half == NULL || !BN_rshift1(half, n))
		die("OpenSSL");
	high = BN_cmp(s, half) > 0;
	if (!rewrite)
		printf("%s\n", high ? "high" : "low");
	else
	{
		if (high && (!BN_sub(s, n, s) || BN_bn2binpad(s, sig + 32, 32) != 32))
			die("OpenSSL");
		b64url_encode(sig, 64, enc);
		dot[1] = '\0';
		printf("%s%s\n", token, enc);
	}
	BN_free(s);
	BN_free(n);
	BN_free(half);
	free(token);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "verify") == 0)
		return cmd_verify(argv + 2);
	if (argc == 10 && strcmp(argv[1], "sign") == 0)
		return cmd_sign(argv + 2);
	if (argc == 5 && strcmp(argv[1], "pem") == 0)
		return cmd_pem(argv + 2);
	if (argc == 2 && strcmp(argv[1], "s-form") == 0)
		return cmd_s_form(0);
	if (argc == 2 && strcmp(argv[1], "low-s") == 0)
		return cmd_s_form(1);
	fprintf(stderr,
			"usage: libjwt_peer verify ALG KEYFILE ISS AUD < token\n"
			"       libjwt_peer sign ALG KEYFILE KID ISS AUD SUB SID TTL\n"
			"       libjwt_peer pem EC X Y | pem RSA N E\n"
			"       libjwt_peer s-form < token | low-s < token\n");
	return 2;
}
