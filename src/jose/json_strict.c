/*-------------------------------------------------------------------------
 *
 * json_strict.c
 *	  A strict, allocation-free JSON object parser for token headers and
 *	  claims.
 *
 * Recursive descent over RFC 8259 with fixed limits.  The whole document is
 * validated; only the members of the top-level object (and the elements of
 * top-level arrays) are recorded, which is all the claim checks need.
 * Duplicate names are refused at every level so that no two readers of a
 * token (this one, jsonb, a client library) can disagree on its content.
 *
 * src/jose/json_strict.c
 *
 *-------------------------------------------------------------------------
 */
#include "json_strict.h"

#include <string.h>

#include "codec.h"

typedef struct JsParser
{
	const char *p;
	const char *end;
	int			depth;
	JsDoc	   *doc;
} JsParser;

static bool parse_value(JsParser *ps, JsValue *out, bool top_member);

/* Record the first, most specific reason for a failure. */
static bool
fail(JsParser *ps, JsError why)
{
	if (ps->doc->error == JS_ERR_NONE)
		ps->doc->error = why;
	return false;
}

static void
skip_ws(JsParser *ps)
{
	while (ps->p < ps->end &&
		   (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* Append "n" bytes to the scratch space that decoded strings share. */
static bool
put_bytes(JsDoc *doc, const char *src, size_t n)
{
	if (doc->scratch_used + n > sizeof(doc->scratch))
		return false;
	memcpy(doc->scratch + doc->scratch_used, src, n);
	doc->scratch_used += n;
	return true;
}

/* The value of four hex digits at s, or -1. */
static int
hex4(const char *s)
{
	int			v = 0;

	for (int i = 0; i < 4; i++)
	{
		int			d = jwt_auth_codec_hex_digit(s[i]);

		if (d < 0)
			return -1;
		v = (v << 4) | d;
	}
	return v;
}

/*
 * Decode the escape "\uXXXX" whose "\u" ps->p has just passed, with the
 * low surrogate that must follow a high one.  A lone surrogate is refused,
 * and so is U+0000, which no claim may hold.
 */
static bool
parse_unicode_escape(JsParser *ps)
{
	int			hi,
				lo;
	uint32_t	cp;
	char		buf[4];

	if (ps->end - ps->p < 4 || (hi = hex4(ps->p)) < 0)
		return false;
	ps->p += 4;
	if (hi >= 0xd800 && hi <= 0xdbff)
	{
		if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
			(lo = hex4(ps->p + 2)) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return false;
		ps->p += 6;
		cp = 0x10000 + (((uint32_t) hi - 0xd800) << 10) + ((uint32_t) lo - 0xdc00);
	}
	else if (hi >= 0xdc00 && hi <= 0xdfff)
		return false;
	else if (hi == 0)
		return fail(ps, JS_ERR_NUL);
	else
		cp = (uint32_t) hi;
	return put_bytes(ps->doc, buf, jwt_auth_codec_utf8_encode(cp, buf));
}

/* Parse a string at ps->p (on the opening quote), decoding into scratch. */
static bool
parse_string(JsParser *ps, const char **str, size_t *len)
{
	/* The short escapes, and what each stands for. */
	static const char escapes[] = "\"\\/bfnrt";
	static const char escaped[] = "\"\\/\b\f\n\r\t";
	JsDoc	   *doc = ps->doc;
	size_t		start = doc->scratch_used;

	ps->p++;					/* opening quote */
	for (;;)
	{
		unsigned char c;
		size_t		n;

		if (ps->p >= ps->end)
			return false;
		c = (unsigned char) *ps->p;
		if (c == '"')
		{
			ps->p++;
			break;
		}
		if (c < 0x20)
			return fail(ps, JS_ERR_CONTROL);
		if (c == '\\')
		{
			const char *at;

			if (ps->p + 1 >= ps->end)
				return false;
			c = (unsigned char) ps->p[1];
			ps->p += 2;
			if (c == 'u')
			{
				if (!parse_unicode_escape(ps))
					return false;
				continue;
			}
			at = c != '\0' ? strchr(escapes, c) : NULL;
			if (at == NULL || !put_bytes(doc, &escaped[at - escapes], 1))
				return false;
			continue;
		}
		if (c < 0x80)
		{
			/* A run of plain ASCII goes in at once. */
			n = 1;
			while (ps->p + n < ps->end && (unsigned char) ps->p[n] >= 0x20 &&
				   (unsigned char) ps->p[n] < 0x80 && ps->p[n] != '"' && ps->p[n] != '\\')
				n++;
		}
		else if ((n = jwt_auth_codec_utf8_length((const unsigned char *) ps->p,
												 (size_t) (ps->end - ps->p))) == 0)
			return fail(ps, JS_ERR_UTF8);
		if (!put_bytes(doc, ps->p, n))
			return false;
		ps->p += n;
	}
	*str = doc->scratch + start;
	*len = doc->scratch_used - start;
	return true;
}

static bool
parse_number(JsParser *ps, JsValue *out)
{
	const char *p = ps->p;
	bool		neg = false;
	bool		integral = true;
	bool		overflow = false;
	uint64_t	mag = 0;

	if (p < ps->end && *p == '-')
	{
		neg = true;
		p++;
	}
	if (p >= ps->end)
		return false;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
	{
		while (p < ps->end && *p >= '0' && *p <= '9')
		{
			uint64_t	d = (uint64_t) (*p - '0');

			if (mag > (UINT64_MAX - d) / 10)
				overflow = true;
			else
				mag = mag * 10 + d;
			p++;
		}
	}
	else
		return false;
	if (p < ps->end && *p == '.')
	{
		integral = false;
		p++;
		if (p >= ps->end || *p < '0' || *p > '9')
			return false;
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E'))
	{
		integral = false;
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= ps->end || *p < '0' || *p > '9')
			return false;
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	ps->p = p;
	out->type = JS_NUMBER;
	if (integral && !overflow)
	{
		if (!neg && mag <= (uint64_t) INT64_MAX)
		{
			out->type = JS_INTEGER;
			out->integer = (int64_t) mag;
		}
		else if (neg && mag <= (uint64_t) INT64_MAX + 1)
		{
			out->type = JS_INTEGER;
			out->integer = (mag == (uint64_t) INT64_MAX + 1) ? INT64_MIN : -(int64_t) mag;
		}
	}
	return true;
}

static bool
parse_literal(JsParser *ps, const char *word, JsType type, JsValue *out)
{
	size_t		n = strlen(word);

	if ((size_t) (ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return false;
	ps->p += n;
	out->type = type;
	return true;
}

static bool
parse_object(JsParser *ps, bool top)
{
	JsDoc	   *doc = ps->doc;
	int			first_name = doc->nnames;

	if (++ps->depth > JS_MAX_DEPTH)
		return fail(ps, JS_ERR_DEPTH);
	ps->p++;					/* '{' */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}')
	{
		ps->p++;
		ps->depth--;
		return true;
	}
	for (;;)
	{
		const char *name;
		size_t		name_len;
		JsValue		value;

		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"' || !parse_string(ps, &name, &name_len))
			return false;
		for (int i = first_name; i < doc->nnames; i++)
		{
			if (doc->names[i].len == name_len &&
				memcmp(doc->names[i].name, name, name_len) == 0)
				return fail(ps, JS_ERR_DUPLICATE);
		}
		if (doc->nnames >= JS_MAX_NAMES)
			return fail(ps, JS_ERR_LIMIT);
		doc->names[doc->nnames].name = name;
		doc->names[doc->nnames].len = name_len;
		doc->nnames++;

		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return false;
		ps->p++;
		skip_ws(ps);
		memset(&value, 0, sizeof(value));
		if (!parse_value(ps, &value, top))
			return false;
		if (top)
		{
			if (doc->nmembers >= JS_MAX_MEMBERS)
				return fail(ps, JS_ERR_LIMIT);
			doc->members[doc->nmembers].name = name;
			doc->members[doc->nmembers].name_len = name_len;
			doc->members[doc->nmembers].value = value;
			doc->nmembers++;
		}
		skip_ws(ps);
		if (ps->p >= ps->end)
			return false;
		if (*ps->p == ',')
		{
			ps->p++;
			continue;
		}
		if (*ps->p == '}')
		{
			ps->p++;
			break;
		}
		return false;
	}
	doc->nnames = first_name;
	ps->depth--;
	return true;
}

/* Elements of a top-level member's array are recorded in doc->elems. */
static bool
parse_array(JsParser *ps, JsValue *out, bool record)
{
	JsDoc	   *doc = ps->doc;

	if (++ps->depth > JS_MAX_DEPTH)
		return fail(ps, JS_ERR_DEPTH);
	ps->p++;					/* '[' */
	out->first = doc->nelems;
	out->count = 0;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']')
	{
		ps->p++;
		ps->depth--;
		return true;
	}
	for (;;)
	{
		JsValue		elem;

		skip_ws(ps);
		memset(&elem, 0, sizeof(elem));
		if (!parse_value(ps, &elem, false))
			return false;
		if (record)
		{
			if (doc->nelems >= JS_MAX_ELEMS)
				return fail(ps, JS_ERR_LIMIT);
			doc->elems[doc->nelems++] = elem;
			out->count++;
		}
		skip_ws(ps);
		if (ps->p >= ps->end)
			return false;
		if (*ps->p == ',')
		{
			ps->p++;
			continue;
		}
		if (*ps->p == ']')
		{
			ps->p++;
			break;
		}
		return false;
	}
	ps->depth--;
	return true;
}

static bool
parse_value(JsParser *ps, JsValue *out, bool top_member)
{
	if (ps->p >= ps->end)
		return false;
	switch (*ps->p)
	{
		case '{':
			out->type = JS_OBJECT;
			return parse_object(ps, false);
		case '[':
			out->type = JS_ARRAY;
			return parse_array(ps, out, top_member);
		case '"':
			out->type = JS_STRING;
			return parse_string(ps, &out->str, &out->len);
		case 't':
			return parse_literal(ps, "true", JS_TRUE, out);
		case 'f':
			return parse_literal(ps, "false", JS_FALSE, out);
		case 'n':
			return parse_literal(ps, "null", JS_NULL, out);
		default:
			return parse_number(ps, out);
	}
}

bool
jwt_auth_js_parse_object(const char *json, size_t len, JsDoc *doc)
{
	JsParser	ps;

	doc->nmembers = 0;
	doc->nelems = 0;
	doc->nnames = 0;
	doc->scratch_used = 0;
	doc->error = JS_ERR_NONE;
	if (len > JS_MAX_INPUT)
	{
		doc->error = JS_ERR_LIMIT;
		return false;
	}

	ps.p = json;
	ps.end = json + len;
	ps.depth = 0;
	ps.doc = doc;

	skip_ws(&ps);
	if (ps.p >= ps.end || *ps.p != '{')
		return fail(&ps, JS_ERR_NOT_OBJECT);
	if (!parse_object(&ps, true))
		return fail(&ps, JS_ERR_SYNTAX);
	skip_ws(&ps);
	if (ps.p != ps.end)
		return fail(&ps, JS_ERR_SYNTAX);
	return true;
}

const JsValue *
jwt_auth_js_get(const JsDoc *doc, const char *name)
{
	size_t		n = strlen(name);

	for (int i = 0; i < doc->nmembers; i++)
	{
		if (doc->members[i].name_len == n && memcmp(doc->members[i].name, name, n) == 0)
			return &doc->members[i].value;
	}
	return NULL;
}

bool
jwt_auth_js_string_equals(const JsValue *v, const char *s)
{
	return v->type == JS_STRING && v->len == strlen(s) && memcmp(v->str, s, v->len) == 0;
}
