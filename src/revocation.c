/*-------------------------------------------------------------------------
 *
 * revocation.c
 *	  Ending a session: in a transaction of its own, whatever becomes of the
 *	  caller's, or else in the caller's.
 *
 * When auth.refresh() sees a retired refresh token again, the session must
 * end, and stay ended even if the caller then rolls its transaction back
 * (the natural reaction of a backend to "no row" inside a transaction
 * block).  PostgreSQL has no autonomous transactions, so a dynamic
 * background worker (which needs no preloading) connects to the database
 * as the owner of auth.sessions and revokes the session in a transaction of
 * its own.  The caller waits for it to finish, up to REVOCATION_WAIT_MS;
 * the worker waits for a lock no longer than that either.  The caller holds
 * no lock on the session row, and when its own transaction wrote or locked
 * the row before, it does not start the worker at all (refresh.c).
 *
 * src/revocation.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "jose/codec.h"
#include "pg_compat.h"
#include "db.h"
#include "revocation.h"

#define REVOCATION_WAIT_MS	20000

typedef struct RevocationRequest
{
	Oid			owner;
	unsigned char session[16];
} RevocationRequest;

static DbQuery read_revoked = {
	.sql = "SELECT revoked_at IS NOT NULL FROM auth.sessions WHERE id OPERATOR(pg_catalog.=) $1",
	.tables = {"sessions"},
	.nargs = 1,
	.argtypes = {UUIDOID},
	.expect = SPI_OK_SELECT,
	.latest = true,
};

static DbQuery lock_timeout = {
	/* Never wait for a lock longer than the caller waits for the worker. */
	.sql = "SET LOCAL lock_timeout = " CppAsString2(REVOCATION_WAIT_MS),
	.tables = {"sessions"},
	.expect = SPI_OK_UTILITY,
};

static DbQuery revoke_session = {
	.sql = "UPDATE auth.sessions SET revoked_at = pg_catalog.now() "
	"WHERE id OPERATOR(pg_catalog.=) $1 AND revoked_at IS NULL",
	.tables = {"sessions"},
	.nargs = 1,
	.argtypes = {UUIDOID},
	.expect = SPI_OK_UPDATE,
};

/*
 * True if the latest committed state of session "id" says it was revoked;
 * the caller is connected (jwt_auth_db_connect()).
 */
static bool
revoked_for_good(pg_uuid_t *id)
{
	Datum		args[1] = {UUIDPGetDatum(id)};
	DbResult	r;
	bool		isnull;

	if (jwt_auth_db_run(&read_revoked, args, NULL, &r) != 1)
		return false;
	return DatumGetBool(jwt_auth_db_value(&r, 0, 0, &isnull));
}

/*
 * Revoke session "session" (a uuid) in the caller's transaction, connected
 * by jwt_auth_db_connect(), as the owner of auth.sessions.
 */
void
jwt_auth_revoke_session(Datum session)
{
	(void) jwt_auth_db_run(&revoke_session, &session, NULL, NULL);
}

/*
 * Revoke session "session_id" (a uuid's text) in a background worker that
 * connects as "owner" (the caller runs as the same role, connected by
 * jwt_auth_db_connect()).  Returns true once the latest committed state
 * says the session is revoked, false if no worker could be started, it did
 * not finish in time, or it failed.
 */
bool
jwt_auth_revoke_session_apart(const char *session_id, Oid owner)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	RevocationRequest req;
	pid_t		pid;
	TimestampTz give_up;
	pg_uuid_t	id;

	memset(&req, 0, sizeof(req));
	req.owner = owner;
	if (!jwt_auth_codec_uuid_parse(session_id, strlen(session_id), req.session))
		return false;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "jwt_auth");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "jwt_auth_revocation_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "jwt_auth session revocation");
	snprintf(worker.bgw_type, BGW_MAXLEN, "jwt_auth session revocation");
	worker.bgw_main_arg = ObjectIdGetDatum(MyDatabaseId);
	StaticAssertStmt(sizeof(req) <= BGW_EXTRALEN, "the request fits bgw_extra");
	memcpy(worker.bgw_extra, &req, sizeof(req));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return false;
	memcpy(id.data, req.session, 16);
	switch (WaitForBackgroundWorkerStartup(handle, &pid))
	{
		case BGWH_STARTED:
			break;
		case BGWH_STOPPED:
			return revoked_for_good(&id);	/* it may have been quick */
		default:
			return false;
	}
	give_up = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), REVOCATION_WAIT_MS);
	for (;;)
	{
		if (GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
			return revoked_for_good(&id);
		if (GetCurrentTimestamp() >= give_up)
		{
			TerminateBackgroundWorker(handle);
			return false;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* The worker: one UPDATE in one transaction, then exit. */
PGDLLEXPORT void jwt_auth_revocation_main(Datum main_arg);

void
jwt_auth_revocation_main(Datum main_arg)
{
	RevocationRequest req;
	pg_uuid_t  *session = palloc(sizeof(pg_uuid_t));
	Datum		values[1];

	memcpy(&req, MyBgworkerEntry->bgw_extra, sizeof(req));
	memcpy(session->data, req.session, 16);
	values[0] = UUIDPGetDatum(session);

	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), req.owner, 0);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	jwt_auth_db_connect();
	(void) jwt_auth_db_run(&lock_timeout, NULL, NULL, NULL);
	(void) jwt_auth_db_run(&revoke_session, values, NULL, NULL);
	jwt_auth_db_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	proc_exit(0);
}
