/*-------------------------------------------------------------------------
 *
 * session_check.c
 *	  Whether a token's session is still active: the per-backend session
 *	  cache in front of the look-up, and its invalidation.
 *
 * auth.verify() asks jwt_auth_session_state() about the session a token
 * carries as "sid".  A session not remembered is read from auth.sessions with
 * a fresh snapshot (session_lookup.c), so a session ended by a committed
 * transaction is refused at once.
 *
 * A session found active is then remembered per backend, until triggers
 * on auth.sessions say that one may have ended.  Their invalidation is sent
 * when the change commits, before the committing client hears of it, and
 * reaches a hot standby with the commit record.
 *
 * src/session_check.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "guc.h"
#include "invalidation.h"
#include "memory.h"
#include "pg_compat.h"
#include "session_check.h"
#include "session_lookup.h"

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

/* A relcache invalidation of "relid" arrived (InvalidOid: of every table). */
void
jwt_auth_sessions_invalidate(Oid relid)
{
	if (jwt_auth_session_lookup_forget_table(relid))
		sessions_generation++;
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
 * A session found active is remembered until it expires or an invalidation
 * says it may have ended; that needs both triggers, else every call reads
 * the table.  A session this transaction wrote is not remembered: were the
 * transaction rolled back, no invalidation would say so.
 */
SessionState
jwt_auth_session_state(const unsigned char sid[16], const unsigned char sub[16])
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
	state = jwt_auth_session_lookup(sid, sub, now, &expires_at, &cacheable);
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
