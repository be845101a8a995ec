/*-------------------------------------------------------------------------
 *
 * session_check.c
 *	  Whether a token's session is still active: the look-up in
 *	  auth.sessions, the per-backend cache in front of it, its
 *	  invalidation, and the errors auth.verify() raises.
 *
 * auth.verify() asks jwt_auth_session_check() about the session a token
 * carries as "sid".  A session not remembered is looked up in the primary
 * key index of auth.sessions, read directly (no SQL, no permission check:
 * the caller may not read the table) with a snapshot taken for it, so a
 * session ended by a committed transaction is refused at once, even inside
 * a long REPEATABLE READ transaction.  The look-up only reads, so
 * verification works on a hot standby.  The table, its index and the scan
 * stay open for the rest of the query and are shared by its look-ups
 * (session_scan.c); each look-up still takes a snapshot of its own.
 *
 * A session found active is then remembered per backend (the cache rule is
 * at session_state()), until the triggers on auth.sessions say that one may
 * have ended.  Their invalidation is sent when the change commits, before
 * the committing client hears of it, and reaches a hot standby with the
 * commit record.
 *
 * src/session_check.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "parser/parse_relation.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "db.h"
#include "guc.h"
#include "invalidation.h"
#include "memory.h"
#include "pg_compat.h"
#include "session_check.h"
#include "session_scan.h"

/* What became of a token's session. */
typedef enum SessionState
{
	SESSION_ACTIVE,
	SESSION_REVOKED,			/* revoked_at is set */
	SESSION_EXPIRED,			/* expires_at has passed */
	SESSION_UNKNOWN				/* no such session of that user (purged, or
								 * its user deleted) */
} SessionState;

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
 * the answer may be remembered (the cache rule, at session_state()).
 */
static SessionState
session_lookup(const unsigned char sid[16], const unsigned char sub[16],
			   TimestampTz now, TimestampTz *expires_at, bool *cacheable)
{
	Relation	rel;
	TupleTableSlot *slot;
	SessionState state = SESSION_UNKNOWN;
	Oid			relid = sessions_relid;

	if (!OidIsValid(relid))
	{
		Oid			owner;

		relid = jwt_auth_db_table("sessions", &owner);
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

/*
 * Sessions seen active: a direct-mapped table of jwt_auth.cache_size slots,
 * keyed by session id.  A slot holds while its generation is current: the
 * triggers on auth.sessions send a relcache invalidation when a session may
 * have ended, and its arrival (in this backend at the next command, in the
 * others when the change commits) bumps the generation.
 */
typedef struct SessionSlot
{
	uint64		generation;		/* 0: empty */
	unsigned char sid[16];
	unsigned char sub[16];
	TimestampTz expires_at;
} SessionSlot;

static uint64 sessions_generation = 1;
static MemoryContext session_context = NULL;
static SessionSlot *session_slots = NULL;
static int	session_nslots = 0;

/*
 * A relcache invalidation of "relid" arrived (InvalidOid: of every table).
 * If it may concern auth.sessions, the table is resolved again at the next
 * look-up, and every session remembered is forgotten.
 */
void
jwt_auth_sessions_invalidate(Oid relid)
{
	if (relid == InvalidOid || relid == sessions_relid)
	{
		sessions_relid = InvalidOid;
		sessions_generation++;
	}
}

/* The slot of session "sid", or NULL when the cache is off. */
static SessionSlot *
session_slot(const unsigned char sid[16])
{
	uint32		h;

	if (session_nslots != jwt_auth_cache_size)
	{
		if (session_context == NULL)
			session_context = AllocSetContextCreate(jwt_auth_memory(), "jwt_auth session cache",
													ALLOCSET_SMALL_SIZES);
		else
			MemoryContextReset(session_context);
		session_slots = NULL;
		session_nslots = 0;
		if (jwt_auth_cache_size > 0)
			session_slots = MemoryContextAllocZero(session_context,
												   sizeof(SessionSlot) * jwt_auth_cache_size);
		session_nslots = jwt_auth_cache_size;
	}
	if (session_nslots == 0)
		return NULL;
	h = hash_bytes(sid, 16);
	return &session_slots[h % (uint32) session_nslots];
}

/*
 * SESSION_ACTIVE if session "sid" exists, belongs to "sub", has not been
 * revoked and has not expired; else what is wrong with it.  A deleted
 * user's sessions are gone (ON DELETE CASCADE).
 *
 * The cache rule: a session found active is remembered until it expires
 * or an invalidation arrives, if both invalidation triggers are on the
 * table (else none would say that it ended), if this transaction did not
 * write its row (were the transaction rolled back, no invalidation would
 * say so), and if no invalidation arrived during the look-up.
 */
static SessionState
session_state(const unsigned char sid[16], const unsigned char sub[16])
{
	TimestampTz now = GetCurrentTimestamp();
	SessionSlot *slot;
	uint64		generation;
	TimestampTz expires_at = 0;
	bool		cacheable = false;
	SessionState state;

	AcceptInvalidationMessages();
	slot = session_slot(sid);
	if (slot != NULL && slot->generation == sessions_generation &&
		memcmp(slot->sid, sid, 16) == 0 && memcmp(slot->sub, sub, 16) == 0 &&
		slot->expires_at > now)
		return SESSION_ACTIVE;

	/* An invalidation that arrives during the look-up voids what it finds. */
	generation = sessions_generation;
	state = session_lookup(sid, sub, now, &expires_at, &cacheable);
	if (state != SESSION_ACTIVE)
		return state;
	if (slot != NULL && cacheable && generation == sessions_generation)
	{
		slot->generation = generation;
		memcpy(slot->sid, sid, 16);
		memcpy(slot->sub, sub, 16);
		slot->expires_at = expires_at;
	}
	return SESSION_ACTIVE;
}

/*
 * Refuse, with 28000, a token whose session is not active.  A token
 * without "sid" has no session to check: it is refused, unless the
 * database is still at a version without sessions (1.0).
 */
void
jwt_auth_session_check(const TokenClaims *claims)
{
	if (!claims->has_sid)
	{
		if (jwt_auth_db_version() >= DB_VERSION_1_1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("token has no session"),
					 errdetail("The token has no \"sid\" claim, so whether its session has ended cannot be checked."),
					 errhint("Sign in again, or turn the setting check_sessions off for stateless tokens.")));
		return;
	}
	switch (session_state(claims->sid, claims->sub))
	{
		case SESSION_ACTIVE:
			break;
		case SESSION_REVOKED:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("token has been revoked"),
					 errdetail("Its session was ended: signed out, by a password change, with all of its "
							   "user's sessions, or after its refresh token was reused.")));
			break;
		case SESSION_EXPIRED:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("token's session has expired"),
					 errdetail("The session was not refreshed within refresh_ttl, or it was opened by "
							   "auth.signin() and lasted as long as its token."),
					 errhint("Sign in again.")));
			break;
		case SESSION_UNKNOWN:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("token's session does not exist"),
					 errdetail("No session of the token's user has its \"sid\": the session was purged, "
							   "or its user was deleted.")));
			break;
	}
}

/*
 * Trigger function on auth.sessions: make every backend forget the sessions
 * it has seen active once this change commits (and this one at the next
 * command).
 */
PG_FUNCTION_INFO_V1(jwt_auth_sessions_changed);
Datum
jwt_auth_sessions_changed(PG_FUNCTION_ARGS)
{
	return jwt_auth_invalidate_trigger_table(fcinfo, "auth.sessions_changed");
}
