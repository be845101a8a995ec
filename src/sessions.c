/*-------------------------------------------------------------------------
 *
 * sessions.c
 *	  Sessions and refresh tokens: creating them and checking them.
 *
 * Every signin opens a session (a row of auth.sessions) whose id the access
 * tokens carry as "sid".  auth.verify() checks it with one look-up in the
 * primary key index, read directly (no SQL, no permission check: the
 * caller may not read the table) with a fresh snapshot, so a session ended
 * by a committed transaction is refused at once, even inside a long
 * REPEATABLE READ transaction.  The look-up only reads, so verification
 * works on a hot standby.
 *
 * A session found active is then remembered per backend, until triggers
 * on auth.sessions say that one may have ended.  Their invalidation is sent
 * when the change commits, before the committing client hears of it, and
 * reaches a hot standby with the commit record.
 *
 * Refresh tokens are 32 random bytes in base64url; only their SHA-256 is
 * stored.
 *
 * src/sessions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "parser/parse_relation.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include <openssl/evp.h>

#include "guc.h"
#include "callable.h"
#include "invalidation.h"
#include "pg_compat.h"
#include "sessions.h"
#include "tables.h"
#include "codec.h"

/* A random (version 4) UUID, as text. */
void
random_uuid(char out[37])
{
	unsigned char u[16];

	if (!pg_strong_random(u, sizeof(u)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	codec_uuid_format(u, out);
}

/* Insert a session; the caller runs as the owner of auth.sessions. */
void
session_create(const char *session_id, const char *user_id, TimestampTz expires_at)
{
	Oid			owner;
	Oid			argtypes[3] = {TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		values[3];

	(void) auth_table("sessions", &owner);
	values[0] = CStringGetTextDatum(session_id);
	values[1] = CStringGetTextDatum(user_id);
	values[2] = TimestampTzGetDatum(expires_at);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("INSERT INTO auth.sessions (id, user_id, expires_at) "
							  "VALUES ($1::pg_catalog.uuid, $2::pg_catalog.uuid, $3)",
							  3, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert into auth.sessions");
	SPI_finish();
}

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
static SessionSlot *session_slots = NULL;
static int	session_nslots = 0;

/* A relcache invalidation of "relid" arrived (InvalidOid: of every table). */
void
sessions_invalidate(Oid relid)
{
	if (relid == InvalidOid || relid == sessions_relid)
	{
		sessions_relid = InvalidOid;
		sessions_generation++;
	}
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

/* The slot of session "sid", or NULL when the cache is off. */
static SessionSlot *
session_slot(const unsigned char sid[16])
{
	uint32		h;

	if (session_nslots != jwt_auth_cache_size)
	{
		if (session_slots != NULL)
			pfree(session_slots);
		session_slots = NULL;
		session_nslots = 0;
		if (jwt_auth_cache_size > 0)
			session_slots = MemoryContextAllocZero(TopMemoryContext,
												   sizeof(SessionSlot) * jwt_auth_cache_size);
		session_nslots = jwt_auth_cache_size;
	}
	if (session_nslots == 0)
		return NULL;
	h = hash_bytes(sid, 16);
	return &session_slots[h % (uint32) session_nslots];
}

/*
 * Look session "sid" up in the primary key index with a fresh snapshot; its
 * expiry goes to *expires_at when it is active.  *cacheable says whether
 * the answer may be remembered: not if this transaction wrote the row,
 * since a rollback sends no invalidation.
 */
static SessionState
session_lookup(const unsigned char sid[16], const unsigned char sub[16],
			   TimestampTz now, TimestampTz *expires_at, bool *cacheable)
{
	Relation	rel;
	Relation	idx;
	Snapshot	snapshot;
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	pg_uuid_t	wanted;
	SessionState state = SESSION_UNKNOWN;
	Oid			relid = sessions_relid;

	if (!OidIsValid(relid))
	{
		Oid			owner;

		relid = auth_table("sessions", &owner);
	}
	rel = table_open(relid, AccessShareLock);
	/*
	 * Opening the table took in pending invalidations: if one reset what
	 * was remembered (or nothing was), read it again from the open table.
	 */
	if (!OidIsValid(sessions_relid))
	{
		remember_table(rel);
		sessions_relid = relid;
	}
	*cacheable = false;

	memcpy(wanted.data, sid, 16);
	idx = index_open(compat_primary_key_index(rel), AccessShareLock);
	snapshot = RegisterSnapshot(GetLatestSnapshot());

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(&wanted));
	scan = compat_index_beginscan(rel, idx, snapshot, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	slot = table_slot_create(rel, NULL);

	if (index_getnext_slot(scan, ForwardScanDirection, slot))
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

	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	UnregisterSnapshot(snapshot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	return state;
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
 * Trigger function on auth.sessions: make every backend forget the sessions
 * it has seen active once this change commits (and this one at the next
 * command).
 */
PG_FUNCTION_INFO_V1(jwt_auth_sessions_changed);
Datum
jwt_auth_sessions_changed(PG_FUNCTION_ARGS)
{
	return invalidate_trigger_table(fcinfo, "auth.sessions_changed");
}

/* SHA-256 of a refresh token, as stored. */
bytea *
refresh_token_hash(const char *token, size_t len)
{
	bytea	   *result = (bytea *) palloc(VARHDRSZ + 32);
	unsigned int n = 0;

	if (!EVP_Digest(token, len, (unsigned char *) VARDATA(result), &n, EVP_sha256(), NULL) ||
		n != 32)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not hash refresh token")));
	SET_VARSIZE(result, VARHDRSZ + 32);
	return result;
}

/* Issue a refresh token for a session; the caller runs as the tables' owner. */
char *
refresh_token_create(const char *session_id)
{
	unsigned char raw[32];
	char	   *token = palloc(REFRESH_TOKEN_LENGTH + 2);
	Oid			owner;
	Oid			argtypes[2] = {BYTEAOID, TEXTOID};
	Datum		values[2];

	(void) auth_table("refresh_tokens", &owner);
	if (!pg_strong_random(raw, sizeof(raw)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
	codec_b64url_encode(raw, sizeof(raw), token);
	explicit_bzero(raw, sizeof(raw));

	values[0] = PointerGetDatum(refresh_token_hash(token, REFRESH_TOKEN_LENGTH));
	values[1] = CStringGetTextDatum(session_id);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("INSERT INTO auth.refresh_tokens (token_hash, session_id) "
							  "VALUES ($1, $2::pg_catalog.uuid)",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert into auth.refresh_tokens");
	SPI_finish();
	return token;
}
