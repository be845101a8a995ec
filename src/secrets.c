/*-------------------------------------------------------------------------
 *
 * secrets.c
 *	  Keeping passwords and tokens out of error messages and the server log.
 *
 * A statement that passes a password or a token to an auth.* function can
 * show it in two places when something fails: the statement text (the
 * STATEMENT line of the server log, with log_min_error_statement), and the
 * CONTEXT, which with log_parameter_max_length_on_error (a setting any role
 * may change) lists the values of the bind parameters, and which the client
 * receives too.
 *
 * An error raised inside such a function passes through
 * jwt_auth_call_hiding_statement(), which drops both.  An error raised
 * elsewhere in the same statement (another expression, an RLS check, a cast of
 * another argument, a statement timeout) goes through the emit_log_hook below,
 * which does the same for every message of a statement that called one of
 * these functions, or whose text names one.  It also drops the server
 * log's detail of any error that quotes a statement naming one, as the
 * detail of a deadlock quotes the other processes' statements.  The hook
 * exists in a backend once this library is loaded there: by any auth.*
 * call, or from the start with session_preload_libraries
 * (docs/security.md).
 *
 * src/secrets.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/elog.h"
#include "utils/timestamp.h"

#include "pg_compat.h"
#include "secrets.h"

/* The statement that last called a function taking a secret. */
static LocalTransactionId secret_lxid = InvalidLocalTransactionId;
static TimestampTz secret_statement = 0;

static emit_log_hook_type prev_emit_log_hook = NULL;

/*
 * The functions whose arguments or results are secrets, as a statement's text
 * names them (by prefix: "verify" covers verify_email, "request_" the three
 * functions that make tokens).
 */
static const char *const secret_functions[] = {
	"signup", "signin", "verify", "refresh", "signout", "change_password", "import_key",
	"request_", "reset_password", "confirm_email_change", "delete_account",
};

/*
 * True if "text" names one of secret_functions after "auth.", in any case,
 * with any quotes and white space around the dot ignored.
 */
static bool
names_secret_function(const char *text)
{
	for (const char *p = text; p != NULL && *p; p++)
	{
		const char *q;

		if (pg_strncasecmp(p, "auth", 4) != 0)
			continue;
		q = p + 4;
		while (*q == '"' || isspace((unsigned char) *q))
			q++;
		if (*q++ != '.')
			continue;
		while (*q == '"' || isspace((unsigned char) *q))
			q++;
		for (size_t i = 0; i < lengthof(secret_functions); i++)
		{
			size_t		n = strlen(secret_functions[i]);

			if (pg_strncasecmp(q, secret_functions[i], n) == 0)
				return true;
		}
	}
	return false;
}

static bool
in_secret_statement(void)
{
	return (MyProc != NULL && secret_lxid == compat_my_lxid() &&
			secret_statement == GetCurrentStatementStartTimestamp()) ||
		(debug_query_string != NULL && names_secret_function(debug_query_string));
}

static void
hide_secrets(ErrorData *edata)
{
	if (edata->output_to_server || edata->output_to_client)
	{
		if (in_secret_statement())
		{
			edata->hide_stmt = true;
			edata->context = NULL;
			edata->internalquery = NULL;
			edata->detail_log = NULL;
		}

		/*
		 * The server log's detail of a deadlock quotes the statements of the
		 * other processes, whose literals may be secrets.
		 */
		else if (edata->detail_log != NULL && names_secret_function(edata->detail_log))
			edata->detail_log = NULL;
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

void
jwt_auth_secrets_init(void)
{
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = hide_secrets;
}

/*
 * Run "fn", whose arguments include a password or a token; if it fails,
 * fail with the same error, but without the statement and the context.
 * The statement is remembered for hide_secrets(), for errors raised after
 * the call.
 */
Datum
jwt_auth_call_hiding_statement(PGFunction fn, FunctionCallInfo fcinfo)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		result = (Datum) 0;

	if (MyProc != NULL)
	{
		secret_lxid = compat_my_lxid();
		secret_statement = GetCurrentStatementStartTimestamp();
	}
	PG_TRY();
	{
		result = fn(fcinfo);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		edata->hide_stmt = true;
		edata->context = NULL;
		edata->internalquery = NULL;
		ReThrowError(edata);
	}
	PG_END_TRY();
	return result;
}
