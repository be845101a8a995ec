/*-------------------------------------------------------------------------
 *
 * json_strict.h
 *	  A strict, allocation-free JSON object parser for token headers and
 *	  claims.
 *
 * This unit does not depend on the PostgreSQL server.
 *
 * src/jose/json_strict.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_JSON_STRICT_H
#define JWT_AUTH_JSON_STRICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JS_MAX_INPUT	6144	/* bytes of JSON text */
#define JS_MAX_DEPTH	16		/* nested objects and arrays */
#define JS_MAX_MEMBERS	128		/* members of the top-level object */
#define JS_MAX_NAMES	512		/* member names open at once, all levels */
#define JS_MAX_ELEMS	64		/* elements of all top-level arrays */

typedef enum JsType
{
	JS_STRING,
	JS_INTEGER,					/* no fraction, no exponent, fits int64 */
	JS_NUMBER,					/* any other number */
	JS_TRUE,
	JS_FALSE,
	JS_NULL,
	JS_OBJECT,
	JS_ARRAY
} JsType;

typedef enum JsError
{
	JS_ERR_NONE = 0,
	JS_ERR_NOT_OBJECT,			/* the top level is not an object */
	JS_ERR_SYNTAX,				/* not JSON */
	JS_ERR_DUPLICATE,			/* a member name repeats within an object */
	JS_ERR_DEPTH,				/* nested deeper than JS_MAX_DEPTH */
	JS_ERR_NUL,					/* \u0000 inside a string */
	JS_ERR_CONTROL,				/* a raw control character inside a string */
	JS_ERR_UTF8,				/* invalid UTF-8 */
	JS_ERR_LIMIT				/* over one of the limits above */
} JsError;

typedef struct JsValue
{
	JsType		type;
	const char *str;			/* JS_STRING: decoded UTF-8, no NUL inside */
	size_t		len;
	int64_t		integer;		/* JS_INTEGER */
	int			first;			/* JS_ARRAY at top level: its elements */
	int			count;
} JsValue;

typedef struct JsMember
{
	const char *name;
	size_t		name_len;
	JsValue		value;
} JsMember;

/* The top-level object of a document; strings point into "scratch". */
typedef struct JsDoc
{
	JsMember	members[JS_MAX_MEMBERS];
	int			nmembers;
	JsValue		elems[JS_MAX_ELEMS];
	int			nelems;
	struct
	{
		const char *name;
		size_t		len;
	}			names[JS_MAX_NAMES];
	int			nnames;
	char		scratch[JS_MAX_INPUT];
	size_t		scratch_used;
	JsError		error;			/* why parsing failed */
} JsDoc;

/*
 * Parse "text" (need not be NUL-terminated) as one JSON object.  Refused:
 * anything that is not RFC 8259 JSON, a top level that is not an object,
 * duplicate member names at any level, invalid UTF-8, lone surrogates,
 * NUL characters, nesting deeper than JS_MAX_DEPTH, and documents over the
 * limits above.  On failure doc->error says why.
 */
extern bool jwt_auth_js_parse_object(const char *json, size_t len, JsDoc *doc);
extern const JsValue *jwt_auth_js_get(const JsDoc *doc, const char *name);
extern bool jwt_auth_js_string_equals(const JsValue *v, const char *s);

#endif							/* JWT_AUTH_JSON_STRICT_H */
