/*-------------------------------------------------------------------------
 *
 * email.c
 *	  Normalising and validating email addresses.
 *
 * An address is stored trimmed of surrounding white space and lower-cased
 * with the database's default collation, as lower() would do it, so that
 * "Ada@Example.com " and "ada@example.com" are one account.  Validation is
 * deliberately plain: exactly one "@", a local part of 1 to 64 bytes, a
 * domain with a dot and no empty label, no white space or control
 * character, at most 254 bytes in all.
 *
 * src/email.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"

#include "catalog/pg_collation.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/formatting.h"

#include "email.h"
#include "pg_compat.h"

static bool
is_ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* White space and control characters beyond ASCII, by code point. */
static bool
is_unicode_space_or_control(pg_wchar c)
{
	return (c >= 0x80 && c <= 0xa0) || c == 0x1680 ||
		(c >= 0x2000 && c <= 0x200b) || c == 0x2028 || c == 0x2029 ||
		c == 0x202f || c == 0x205f || c == 0x3000 || c == 0xfeff;
}

/*
 * Unicode format characters (general category Cf, Unicode 15): invisible
 * marks such as bidirectional overrides and zero-width joiners, which make
 * addresses that look the same as others.
 */
static bool
is_unicode_format(pg_wchar c)
{
	static const pg_wchar ranges[][2] = {
		{0x00ad, 0x00ad}, {0x0600, 0x0605}, {0x061c, 0x061c}, {0x06dd, 0x06dd},
		{0x070f, 0x070f}, {0x0890, 0x0891}, {0x08e2, 0x08e2}, {0x180e, 0x180e},
		{0x200b, 0x200f}, {0x202a, 0x202e}, {0x2060, 0x2064}, {0x2066, 0x206f},
		{0xfeff, 0xfeff}, {0xfff9, 0xfffb}, {0x110bd, 0x110bd}, {0x110cd, 0x110cd},
		{0x13430, 0x1343f}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0001, 0xe0001},
		{0xe0020, 0xe007f},
	};

	for (size_t i = 0; i < lengthof(ranges); i++)
	{
		if (c >= ranges[i][0] && c <= ranges[i][1])
			return true;
	}
	return false;
}

/*
 * Return the normalised address, or NULL with *why set to a sentence that
 * says what is wrong.  "raw" need not be NUL-terminated.
 */
static char *
email_normalize(const char *raw, int len, const char **why)
{
	const char *start = raw;
	const char *end = raw + len;
	char	   *lower;
	char	   *at = NULL;
	char	   *domain;
	size_t		n;
	bool		utf8 = (GetDatabaseEncoding() == PG_UTF8);

	while (start < end && is_ascii_space(*start))
		start++;
	while (end > start && is_ascii_space(end[-1]))
		end--;

	if (end == start)
	{
		*why = "The address is empty.";
		return NULL;
	}
	if (end - start > EMAIL_MAX_LENGTH)
	{
		*why = "The address is longer than " CppAsString2(EMAIL_MAX_LENGTH) " bytes.";
		return NULL;
	}

	lower = str_tolower(start, end - start, DEFAULT_COLLATION_OID);
	n = strlen(lower);
	if (n > EMAIL_MAX_LENGTH)
	{
		*why = "The address is longer than " CppAsString2(EMAIL_MAX_LENGTH) " bytes.";
		return NULL;
	}

	for (const char *p = lower; *p;)
	{
		unsigned char c = (unsigned char) *p;
		int			l = pg_mblen(p);

		if (c < 0x80)
		{
			if (c <= 0x20 || c == 0x7f)
			{
				*why = "The address contains white space or a control character.";
				return NULL;
			}
			if (c == '@')
			{
				if (at != NULL)
				{
					*why = "The address contains more than one \"@\".";
					return NULL;
				}
				at = (char *) p;
			}
		}
		else if (utf8 && is_unicode_space_or_control(utf8_to_unicode((const unsigned char *) p)))
		{
			*why = "The address contains white space or a control character.";
			return NULL;
		}
		else if (utf8 && is_unicode_format(utf8_to_unicode((const unsigned char *) p)))
		{
			*why = "The address contains an invisible formatting character (Unicode category Cf).";
			return NULL;
		}
		p += l;
	}

	if (at == NULL)
	{
		*why = "The address has no \"@\".";
		return NULL;
	}
	if (at == lower)
	{
		*why = "The part before \"@\" is empty.";
		return NULL;
	}
	if (at - lower > EMAIL_MAX_LOCAL_LENGTH)
	{
		*why = "The part before \"@\" is longer than 64 bytes.";
		return NULL;
	}
	domain = at + 1;
	if (*domain == '\0')
	{
		*why = "The part after \"@\" is empty.";
		return NULL;
	}
	if (strchr(domain, '.') == NULL)
	{
		*why = "The domain has no \".\".";
		return NULL;
	}
	if (domain[0] == '.' || lower[n - 1] == '.' || strstr(domain, "..") != NULL)
	{
		*why = "The domain has an empty label.";
		return NULL;
	}
	return lower;
}

/*
 * email_normalize() for a SQL argument.  An argument far longer than any
 * address (surrounding white space included) is refused before it is even
 * detoasted.
 */
char *
jwt_auth_email_argument(Datum email, const char **why)
{
	text	   *t;

	if (toast_raw_datum_size(email) - VARHDRSZ > 4 * EMAIL_MAX_LENGTH)
	{
		*why = "The address is longer than " CppAsString2(EMAIL_MAX_LENGTH) " bytes.";
		return NULL;
	}
	t = DatumGetTextPP(email);
	return email_normalize(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), why);
}

/*
 * jwt_auth_email_argument() for an address that is to be stored (a new
 * account's, a new email): the normalised address, or 22023 saying why.
 */
char *
jwt_auth_email_require(Datum email)
{
	const char *why = NULL;
	char	   *normalised = jwt_auth_email_argument(email, &why);

	if (normalised == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid email address"),
				 errdetail_internal("%s", why)));
	return normalised;
}

/* Refuse an address that another account has (23505). */
void
jwt_auth_email_refuse_taken(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNIQUE_VIOLATION),
			 errmsg("email address is already registered")));
}
