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
 * src/json_strict.c
 *
 *-------------------------------------------------------------------------
 */
#include "json_strict.h"

#include <string.h>

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

static int
hex4(const char *s)
{
	int			v = 0;

	for (int i = 0; i < 4; i++)
	{
		char		c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static bool
put_utf8(JsDoc *doc, uint32_t cp)
{
	char		buf[4];
	size_t		n;

	if (cp < 0x80)
	{
		buf[0] = (char) cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		buf[0] = (char) (0xc0 | (cp >> 6));
		buf[1] = (char) (0x80 | (cp & 0x3f));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		buf[0] = (char) (0xe0 | (cp >> 12));
		buf[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (char) (0x80 | (cp & 0x3f));
		n = 3;
	}
	else
	{
		buf[0] = (char) (0xf0 | (cp >> 18));
		buf[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
		buf[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
		buf[3] = (char) (0x80 | (cp & 0x3f));
		n = 4;
	}
	if (doc->scratch_used + n > sizeof(doc->scratch))
		return false;
	memcpy(doc->scratch + doc->scratch_used, buf, n);
	doc->scratch_used += n;
	return true;
}

/* Length of the valid UTF-8 sequence at p (at most "avail" bytes), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];

	if (c >= 0xc2 && c <= 0xdf)
		return (avail >= 2 && (p[1] & 0xc0) == 0x80) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef)
	{
		if (avail < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0;			/* overlong */
		if (c == 0xed && p[1] >= 0xa0)
			return 0;			/* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4)
	{
		if (avail < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
			(p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;			/* overlong */
		if (c == 0xf4 && p[1] >= 0x90)
			return 0;			/* above U+10FFFF */
		return 4;
	}
	return 0;
}

/* Parse a string at ps->p (on the opening quote), decoding into scratch. */
static bool
parse_string(JsParser *ps, const char **str, size_t *len)
{
	JsDoc	   *doc = ps->doc;
	size_t		start = doc->scratch_used;

	ps->p++;					/* opening quote */
	for (;;)
	{
		unsigned char c;

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
			char		e;

			if (ps->p + 1 >= ps->end)
				return false;
			e = ps->p[1];
			ps->p += 2;
			switch (e)
			{
				case '"':
				case '\\':
				case '/':
					c = (unsigned char) e;
					break;
				case 'b':
					c = '\b';
					break;
				case 'f':
					c = '\f';
					break;
				case 'n':
					c = '\n';
					break;
				case 'r':
					c = '\r';
					break;
				case 't':
					c = '\t';
					break;
				case 'u':
					{
						int			hi,
									lo;
						uint32_t	cp;

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
						if (!put_utf8(doc, cp))
							return false;
						continue;
					}
				default:
					return false;
			}
			if (doc->scratch_used >= sizeof(doc->scratch))
				return false;
			doc->scratch[doc->scratch_used++] = (char) c;
			continue;
		}
		if (c < 0x80)
		{
			if (doc->scratch_used >= sizeof(doc->scratch))
				return false;
			doc->scratch[doc->scratch_used++] = (char) c;
			ps->p++;
		}
		else
		{
			size_t		n = utf8_seq((const unsigned char *) ps->p, (size_t) (ps->end - ps->p));

			if (n == 0)
				return fail(ps, JS_ERR_UTF8);
			if (doc->scratch_used + n > sizeof(doc->scratch))
				return false;
			memcpy(doc->scratch + doc->scratch_used, ps->p, n);
			doc->scratch_used += n;
			ps->p += n;
		}
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
js_parse_object(const char *text, size_t len, JsDoc *doc)
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

	ps.p = text;
	ps.end = text + len;
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
js_get(const JsDoc *doc, const char *name)
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
js_string_equals(const JsValue *v, const char *s)
{
	return v->type == JS_STRING && v->len == strlen(s) && memcmp(v->str, s, v->len) == 0;
}
