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
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "parser/parse_relation.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include <openssl/evp.h>

#include "sessions.h"
#include "tables.h"
#include "token.h"

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
	token_uuid_format(u, out);
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
 * True if session "sid" exists, belongs to "sub", has not been revoked and
 * has not expired.  A deleted user's sessions are gone (ON DELETE CASCADE).
 */
bool
session_active(const unsigned char sid[16], const unsigned char sub[16])
{
	Oid			owner;
	Oid			relid = auth_table("sessions", &owner);
	Relation	rel;
	Relation	idx;
	Snapshot	snapshot;
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	pg_uuid_t	wanted;
	bool		active = false;

	memcpy(wanted.data, sid, 16);
	rel = table_open(relid, AccessShareLock);
	idx = index_open(RelationGetPrimaryKeyIndex(rel), AccessShareLock);
	snapshot = RegisterSnapshot(GetLatestSnapshot());

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(&wanted));
	scan = index_beginscan(rel, idx, snapshot, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	slot = table_slot_create(rel, NULL);

	if (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		user_null;
		bool		revoked_null;
		bool		expires_null;
		Datum		user = slot_getattr(slot, attnameAttNum(rel, "user_id", false), &user_null);
		Datum		expires = slot_getattr(slot, attnameAttNum(rel, "expires_at", false), &expires_null);

		(void) slot_getattr(slot, attnameAttNum(rel, "revoked_at", false), &revoked_null);
		active = !user_null && revoked_null && !expires_null &&
			DatumGetTimestampTz(expires) > GetCurrentTimestamp() &&
			memcmp(DatumGetUUIDP(user)->data, sub, 16) == 0;
	}

	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	UnregisterSnapshot(snapshot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	return active;
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
	token_b64url_encode(raw, sizeof(raw), token);
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
