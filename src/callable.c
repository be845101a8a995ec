/*-------------------------------------------------------------------------
 *
 * callable.c
 *	  What the SQL-callable functions of jwt_auth check first: arguments
 *	  that must not be NULL, a transaction that may write; how they refuse
 *	  a token; and the clock.
 *
 * src/callable.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/timestamp.h"

#include "callable.h"

/*
 * Raise 25006 in a read-only transaction, and so on a hot standby, for a
 * function that writes; "detail" may be NULL.
 */
void
jwt_auth_require_writable(const char *function, const char *detail)
{
	if (XactReadOnly)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot execute %s in a read-only transaction", function),
				 detail ? errdetail_internal("%s", detail) : 0,
				 errhint("On a standby, call it through the primary server.")));
}

/* Raise 22004 if argument "argno" is NULL. */
void
jwt_auth_require_argument(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/*
 * Refuse a token or a refresh token: SQLSTATE 28000 with "msg" and, unless
 * NULL, a detail made from "detail_fmt" and its arguments, both marked with
 * gettext_noop() where they are written and translated here.  Neither may
 * hold anything from the token.
 */
void
jwt_auth_refuse(const char *msg, const char *detail_fmt,...)
{
	StringInfoData detail;

	if (detail_fmt != NULL)
	{
		initStringInfo(&detail);
		for (;;)
		{
			va_list		args;
			int			needed;

			va_start(args, detail_fmt);
			needed = appendStringInfoVA(&detail, _(detail_fmt), args);
			va_end(args);
			if (needed == 0)
				break;
			enlargeStringInfo(&detail, needed);
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg_internal("%s", _(msg)),
			 detail_fmt != NULL ? errdetail_internal("%s", detail.data) : 0));
}

/*
 * Refuse a disabled account (28000): its sign-ins and refreshes, until
 * "until" (TIMESTAMP_INFINITY: until it is enabled again).
 */
void
jwt_auth_refuse_disabled(TimestampTz until)
{
	if (TIMESTAMP_IS_NOEND(until))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("account is disabled"),
				 errdetail("It stays disabled until the extension's owner enables it.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("account is disabled"),
			 errdetail("It is disabled until %s.", timestamptz_to_str(until))));
}

/* Seconds since the Unix epoch, now. */
int64
jwt_auth_unix_now(void)
{
	return (int64) timestamptz_to_time_t(GetCurrentTimestamp());
}
