/*-------------------------------------------------------------------------
 *
 * session_lookup.c
 *	  Reading a session of auth.sessions by its primary key, directly and
 *	  with a fresh snapshot.
 *
 * auth.verify() checks the session of a token with one look-up in the
 * primary key index, read directly (no SQL, no permission check: the
 * caller may not read the table) with a snapshot taken for it, so a
 * session ended by a committed transaction is refused at once, even inside
 * a long REPEATABLE READ transaction.  The look-up only reads, so
 * verification works on a hot standby.
 *
 * It also says whether both invalidation triggers are on the table, which
 * the session cache (session_check.c) needs before it may remember what
 * it was told.
 *
 * The table, its index and the scan stay open for the rest of the query
 * that called auth.verify(), and are shared by its look-ups
 * (session_scan.c); each look-up still takes a snapshot of its own.
 *
 * src/session_lookup.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "parser/parse_relation.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "session_lookup.h"
#include "session_scan.h"
#include "tables.h"

/*
 * auth.sessions as last resolved: its OID and the columns read, and whether
 * both invalidation triggers are there and fire always.  Reset by any
 * relcache invalidation of the table (DDL, a trigger disabled, a drop).
 */
static Oid	sessions_relid = InvalidOid;
static AttrNumber attno_user_id;
static AttrNumber attno_expires_at;
static AttrNumber attno_revoked_at;
static bool sessions_cacheable = false;

/*
 * A relcache invalidation of "relid" arrived (InvalidOid: of every table):
 * true if it may concern auth.sessions, which is then resolved again.
 */
bool
jwt_auth_session_lookup_forget_table(Oid relid)
{
	if (relid == InvalidOid || relid == sessions_relid)
	{
		sessions_relid = InvalidOid;
		return true;
	}
	return false;
}

/*
 * True if "rel" has trigger "name", enabled always, firing after "events"
 * at "level" on every column, at once.
 */
static bool
has_trigger(Relation rel, const char *name, int16 events, int16 level)
{
	TriggerDesc *td = rel->trigdesc;

	for (int i = 0; td != NULL && i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];

		if (strcmp(t->tgname, name) == 0)
			return t->tgenabled == TRIGGER_FIRES_ALWAYS &&
				TRIGGER_FOR_AFTER(t->tgtype) &&
				(t->tgtype & TRIGGER_TYPE_LEVEL_MASK) == level &&
				(t->tgtype & events) == events &&
				t->tgnattr == 0 && !t->tgdeferrable;
	}
	return false;
}

/* Read the columns and the triggers of a freshly opened auth.sessions. */
static void
remember_table(Relation rel)
{
	attno_user_id = attnameAttNum(rel, "user_id", false);
	attno_expires_at = attnameAttNum(rel, "expires_at", false);
	attno_revoked_at = attnameAttNum(rel, "revoked_at", false);
	sessions_cacheable =
		has_trigger(rel, "sessions_ended", TRIGGER_TYPE_UPDATE, TRIGGER_TYPE_ROW) &&
		has_trigger(rel, "sessions_deleted", TRIGGER_TYPE_DELETE | TRIGGER_TYPE_TRUNCATE,
					TRIGGER_TYPE_STATEMENT);
}

/*
 * Look session "sid" up in the primary key index with a fresh snapshot; its
 * expiry goes to *expires_at when it is active.  *cacheable says whether
 * the answer may be remembered: not if this transaction wrote the row,
 * since a rollback sends no invalidation.
 */
SessionState
jwt_auth_session_lookup(const unsigned char sid[16], const unsigned char sub[16],
			   TimestampTz now, TimestampTz *expires_at, bool *cacheable)
{
	Relation	rel;
	TupleTableSlot *slot;
	SessionState state = SESSION_UNKNOWN;
	Oid			relid = sessions_relid;

	if (!OidIsValid(relid))
	{
		Oid			owner;

		relid = jwt_auth_table("sessions", &owner);
	}
	rel = jwt_auth_session_scan_open(relid);
	/*
	 * If an invalidation taken in since (opening the table takes them in)
	 * reset what was remembered, or nothing was, read it from the table.
	 */
	if (!OidIsValid(sessions_relid))
	{
		remember_table(rel);
		sessions_relid = relid;
	}
	*cacheable = false;

	slot = jwt_auth_session_scan_fetch(sid);
	if (slot != NULL)
	{
		bool		user_null;
		bool		revoked_null;
		bool		expires_null;
		Datum		user = slot_getattr(slot, attno_user_id, &user_null);
		Datum		expires = slot_getattr(slot, attno_expires_at, &expires_null);

		(void) slot_getattr(slot, attno_revoked_at, &revoked_null);
		if (user_null || memcmp(DatumGetUUIDP(user)->data, sub, 16) != 0)
			state = SESSION_UNKNOWN;
		else if (!revoked_null)
			state = SESSION_REVOKED;
		else if (expires_null || DatumGetTimestampTz(expires) <= now)
			state = SESSION_EXPIRED;
		else
			state = SESSION_ACTIVE;
		if (state == SESSION_ACTIVE)
		{
			bool		xmin_null;
			Datum		xmin = slot_getsysattr(slot, MinTransactionIdAttributeNumber, &xmin_null);

			*expires_at = DatumGetTimestampTz(expires);
			*cacheable = sessions_cacheable && !xmin_null &&
				!TransactionIdIsCurrentTransactionId(DatumGetTransactionId(xmin));
		}
	}
	jwt_auth_session_scan_done();
	return state;
}
