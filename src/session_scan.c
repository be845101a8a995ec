/*-------------------------------------------------------------------------
 *
 * session_scan.c
 *	  The table, index and index scan that the session look-ups of a query
 *	  share, and when they are given up.
 *
 * Opening and locking auth.sessions and its primary key index and starting
 * an index scan cost more than a look-up in it, so they are done once per
 * query: the first look-up opens them, and the next ones in the same query
 * rescan the same scan, each with a snapshot of its own (session_check.c
 * says why).  They are closed when the run of the innermost query under
 * way at the first look-up returns (its ExecutorRun or ExecutorFinish; a
 * cursor's FETCH is a run of its own).  A look-up outside any query run (a
 * PL/pgSQL assignment in a DO block, an argument of CALL) closes them at
 * once.  No page stays pinned between two look-ups.  What sharing them
 * saves is measured in docs/performance.md.
 *
 * That is as long as a sub-select of auth.sessions in the calling query
 * would keep its scan open, with one difference: the sub-select would keep
 * its lock until the transaction ends, and the look-ups give theirs up with
 * the scan.  Keeping it until the transaction ends would be a little
 * faster for transactions that verify in many statements, but:
 *
 * - On a hot standby, the replay of an AccessExclusiveLock on auth.sessions
 *   (TRUNCATE, ALTER TABLE, or VACUUM cutting off the empty end of the
 *   table) waits for the queries that hold the lock, and cancels them after
 *   max_standby_streaming_delay.  Queries verifying at that moment can be
 *   cancelled, as can queries reading the table; a transaction that
 *   verified and now sits between two statements holds nothing and is left
 *   alone.
 * - The transaction may truncate or alter auth.sessions after a verify.
 *
 * What is kept open belongs to a resource owner of its own, a child of the
 * transaction's.  A subtransaction that aborts (a PL/pgSQL exception block
 * catching an error) releases all of it, in whatever state an error left
 * it, and the next look-up opens it again.  A transaction that aborts
 * releases it with everything else; a commit finds it closed, or closes it.
 *
 * src/session_scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/uuid.h"

#include "memory.h"
#include "pg_compat.h"
#include "session_scan.h"

/*
 * What the look-ups of the current query hold, in "owner" (made by the
 * first opening in a transaction, or the first after an abort released the
 * last one) and in "context" (a child of the transaction's memory context,
 * made at each opening).  "rel" is NULL while nothing is open; "scan" and
 * "slot" are made by the first fetch after the opening.  "snapshot" is the
 * one of the fetch under way.  "depth" is the number of query runs that
 * were under way at the opening.
 */
typedef struct HeldScan
{
	ResourceOwner owner;
	MemoryContext context;
	Relation	rel;
	Relation	idx;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	Snapshot	snapshot;
	int			depth;
} HeldScan;

static HeldScan held;

/* The key of the scan; its argument is set before every fetch. */
static pg_uuid_t wanted;
static ScanKeyData wanted_key;

/* Query runs (ExecutorRun, ExecutorFinish) under way in this backend. */
static int	executor_depth = 0;
static ExecutorRun_hook_type prev_executor_run = NULL;
static ExecutorFinish_hook_type prev_executor_finish = NULL;

/* Close what is open, normally: when its query run returns, or at commit. */
static void
scan_close(void)
{
	ResourceOwner caller_owner = CurrentResourceOwner;

	CurrentResourceOwner = held.owner;
	if (held.scan != NULL)
	{
		index_endscan(held.scan);
		ExecDropSingleTupleTableSlot(held.slot);
	}
	index_close(held.idx, AccessShareLock);
	table_close(held.rel, AccessShareLock);
	CurrentResourceOwner = caller_owner;
	MemoryContextDelete(held.context);
	held.context = NULL;
	held.rel = NULL;
	held.idx = NULL;
	held.scan = NULL;
	held.slot = NULL;
}

/*
 * Let go of everything held, in whatever state an error left it, through
 * the resource owner, which goes too: a released owner takes no more.
 */
static void
scan_release(void)
{
	ResourceOwnerRelease(held.owner, RESOURCE_RELEASE_BEFORE_LOCKS, false, false);
	ResourceOwnerRelease(held.owner, RESOURCE_RELEASE_LOCKS, false, false);
	ResourceOwnerRelease(held.owner, RESOURCE_RELEASE_AFTER_LOCKS, false, false);
	ResourceOwnerDelete(held.owner);
	if (held.context != NULL)
		MemoryContextDelete(held.context);
	memset(&held, 0, sizeof(held));
}

/*
 * Transaction end.  A commit closes what is still open (no query leaves
 * anything); after an abort, the transaction's resource owner releases
 * ours with its own, and its memory context takes ours along.
 */
static void
scan_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (held.rel != NULL)
				scan_close();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			memset(&held, 0, sizeof(held));
			break;
	}
}

/*
 * A subtransaction that aborts may have stopped a look-up half way, or
 * ended the query run that opened the table: release everything.
 */
static void
scan_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && held.owner != NULL)
		scan_release();
}

/* A query run returned normally: close what was opened within it. */
static void
scan_run_returned(void)
{
	if (held.rel != NULL && held.depth > executor_depth)
		scan_close();
}

static void
scan_executor_run(QueryDesc *queryDesc, ScanDirection direction, uint64 count
				  COMPAT_EXECUTE_ONCE_PARAM)
{
	executor_depth++;
	PG_TRY();
	{
		if (prev_executor_run)
			prev_executor_run(queryDesc, direction, count COMPAT_EXECUTE_ONCE_ARG);
		else
			standard_ExecutorRun(queryDesc, direction, count COMPAT_EXECUTE_ONCE_ARG);
	}
	PG_FINALLY();
	{
		executor_depth--;
	}
	PG_END_TRY();
	scan_run_returned();
}

static void
scan_executor_finish(QueryDesc *queryDesc)
{
	executor_depth++;
	PG_TRY();
	{
		if (prev_executor_finish)
			prev_executor_finish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		executor_depth--;
	}
	PG_END_TRY();
	scan_run_returned();
}

/* Called once, from _PG_init(). */
void
jwt_auth_session_scan_init(void)
{
	RegisterXactCallback(scan_xact_callback, NULL);
	RegisterSubXactCallback(scan_subxact_callback, NULL);
	prev_executor_run = ExecutorRun_hook;
	ExecutorRun_hook = scan_executor_run;
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = scan_executor_finish;
}

/*
 * auth.sessions ("relid") open, with its primary key index, for the query
 * under way.  Opening the table takes in pending invalidations.
 */
Relation
jwt_auth_session_scan_open(Oid relid)
{
	ResourceOwner caller_owner = CurrentResourceOwner;

	if (held.rel != NULL)
	{
		if (RelationGetRelid(held.rel) == relid)
			return held.rel;
		scan_close();
	}
	/* The key, once per backend, when the extension is first used. */
	if (!OidIsValid(wanted_key.sk_func.fn_oid))
	{
		MemoryContext old_context = MemoryContextSwitchTo(jwt_auth_memory());

		ScanKeyInit(&wanted_key, 1, BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(&wanted));
		MemoryContextSwitchTo(old_context);
	}
	if (held.owner == NULL)
		held.owner = ResourceOwnerCreate(TopTransactionResourceOwner, "jwt_auth session scan");
	held.context = AllocSetContextCreate(TopTransactionContext, "jwt_auth session scan",
										 ALLOCSET_SMALL_SIZES);
	held.depth = executor_depth;
	PG_TRY();
	{
		CurrentResourceOwner = held.owner;
		held.rel = table_open(relid, AccessShareLock);
		held.idx = index_open(compat_primary_key_index(held.rel), AccessShareLock);
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = caller_owner;
	}
	PG_END_TRY();
	return held.rel;
}

/*
 * Find session "id" in the open table with a snapshot taken now, after the
 * last invalidations were taken in: its row, or NULL.  The row stays valid
 * until jwt_auth_session_scan_done(), which must follow.
 *
 * The scan reads xs_snapshot whenever it needs one, so setting it before a
 * rescan is as good as a new scan.  It works in "held.context", which lasts
 * as long as it does, as an executor's scans work in their query's context.
 */
TupleTableSlot *
jwt_auth_session_scan_fetch(const unsigned char id[16])
{
	ResourceOwner caller_owner = CurrentResourceOwner;
	MemoryContext caller_context = CurrentMemoryContext;
	bool		found;

	Assert(held.rel != NULL && held.snapshot == NULL);
	PG_TRY();
	{
		CurrentResourceOwner = held.owner;
		MemoryContextSwitchTo(held.context);
		held.snapshot = RegisterSnapshot(GetLatestSnapshot());
		if (held.scan == NULL)
		{
			held.scan = compat_index_beginscan(held.rel, held.idx, held.snapshot, 1, 0);
			held.slot = table_slot_create(held.rel, NULL);
		}
		held.scan->xs_snapshot = held.snapshot;
		memcpy(wanted.data, id, 16);
		index_rescan(held.scan, &wanted_key, 1, NULL, 0);
		found = index_getnext_slot(held.scan, ForwardScanDirection, held.slot);
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = caller_owner;
		MemoryContextSwitchTo(caller_context);
	}
	PG_END_TRY();
	return found ? held.slot : NULL;
}

/*
 * The row fetched has been read: unpin its pages and drop the snapshot.
 * Outside any query run, close everything.
 */
void
jwt_auth_session_scan_done(void)
{
	ResourceOwner caller_owner = CurrentResourceOwner;

	PG_TRY();
	{
		CurrentResourceOwner = held.owner;
		ExecClearTuple(held.slot);
		index_rescan(held.scan, NULL, 1, NULL, 0);
		held.scan->xs_snapshot = InvalidSnapshot;
		UnregisterSnapshot(held.snapshot);
		held.snapshot = NULL;
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = caller_owner;
	}
	PG_END_TRY();
	if (executor_depth == 0 || held.depth > executor_depth)
		scan_close();
}
