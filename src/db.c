/*-------------------------------------------------------------------------
 *
 * db.c
 *	  The database layer: the extension's tables in schema auth, found
 *	  safely, the SQL version they are at, and the one way to query them.
 *
 * Queries run as the tables' owner (SECURITY DEFINER functions, the
 * caches) name their tables "auth.users", "auth.keys" and so on.  That is
 * only safe while nobody but that owner can rename, replace or add objects
 * in schema auth: the install script gives the schema to the tables' owner,
 * and before every query jwt_auth_db_run() checks that the schema and every
 * table the query names have one owner.  A schema swapped or renamed by
 * anyone else makes jwt_auth refuse to run instead of querying the impostor.
 *
 * Every query is a DbQuery written once, with the types of its parameters;
 * its plan is prepared on first use and kept (the plan cache re-plans it
 * after DDL).  An SQL function connects once (jwt_auth_db_connect()), runs
 * its queries, and finishes (jwt_auth_db_finish()); between the two, the
 * caller's memory context stays current, and each result is copied into
 * it, so that nothing read outlives SPI by accident.  The caches, filled
 * from wherever they are first needed, read through jwt_auth_db_read(): a
 * connection of its own, as the tables' owner, in a security-restricted
 * operation, with the latest committed state (a cache outlives the
 * transaction, and under REPEATABLE READ a deleted row would otherwise be
 * read back into it).
 *
 * Which SQL version a database is at is told by the tables the version
 * added (auth.sessions came with 1.1, auth.account_tokens with 1.2);
 * jwt_auth_db_version() is the one place that asks.
 *
 * src/db.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/uuid.h"

#include "jose/codec.h"
#include "db.h"
#include "pg_compat.h"

/*
 * The OID of auth.<relname>; its owner in *owner.  Errors if it does not
 * exist or if schema auth has another owner than the table.
 */
Oid
jwt_auth_db_table(const char *relname, Oid *owner)
{
	Oid			nsp = get_namespace_oid("auth", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid(relname, nsp) : InvalidOid;
	HeapTuple	tup;
	Oid			nspowner;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"auth.%s\" does not exist", relname),
				 errhint("Run CREATE EXTENSION jwt_auth.")));

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	*owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);

	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for namespace %u", nsp);
	nspowner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);

	if (nspowner != *owner)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("schema \"auth\" is not owned by the owner of \"auth.%s\"", relname),
				 errdetail("jwt_auth runs its queries as the owner of its tables and refuses to do so "
						   "while another role controls the schema they are found in."),
				 errhint("Give schema auth back to the owner of the extension's tables.")));
	return relid;
}

/*
 * The SQL version of the extension in this database, as its tables tell:
 * 1.1 added auth.sessions with the other tables of sessions, settings and
 * issuers, 1.2 auth.account_tokens with the columns of verified and
 * disabled users.  At most three catalog-cache look-ups.
 */
DbVersion
jwt_auth_db_version(void)
{
	Oid			nsp = get_namespace_oid("auth", true);

	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("sessions", nsp)))
		return DB_VERSION_1_0;
	if (!OidIsValid(get_relname_relid("account_tokens", nsp)))
		return DB_VERSION_1_1;
	return DB_VERSION_1_2;
}

/* Refuse to go on below SQL version "version". */
void
jwt_auth_db_require_version(DbVersion version)
{
	if (jwt_auth_db_version() >= version)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("extension \"jwt_auth\" must be updated"),
			 version == DB_VERSION_1_1 ?
			 errdetail("This function needs auth.sessions, which version 1.1 adds.") :
			 errdetail("This function needs auth.account_tokens, which version 1.2 adds."),
			 errhint("Run ALTER EXTENSION jwt_auth UPDATE.")));
}

/*
 * Connect to SPI for the queries of one SQL function, and stay in the
 * caller's memory context (SPI would switch to its own, as every SPI call
 * does on return; jwt_auth_db_run() switches back).  The caller runs as the
 * tables' owner (it is SECURITY DEFINER, or a background worker connected
 * as that owner).
 */
void
jwt_auth_db_connect(void)
{
	MemoryContext caller = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(caller);
}

void
jwt_auth_db_finish(void)
{
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
}

/* Check the owner of every table "query" names; return that owner. */
static Oid
query_owner(const DbQuery *query)
{
	Oid			owner = InvalidOid;

	for (int i = 0; i < DB_MAX_TABLES && query->tables[i] != NULL; i++)
	{
		Oid			this_owner;

		(void) jwt_auth_db_table(query->tables[i], &this_owner);
		if (i > 0 && this_owner != owner)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("\"auth.%s\" and \"auth.%s\" have different owners",
							query->tables[0], query->tables[i]),
					 errdetail("jwt_auth runs its queries as the owner of its tables, which must be one role."),
					 errhint("Give the extension's tables back to one owner.")));
		owner = this_owner;
	}
	Assert(OidIsValid(owner));
	return owner;
}

/*
 * Run "query" with its arguments ("nulls" may be NULL: none is NULL),
 * between jwt_auth_db_connect() and jwt_auth_db_finish().  Returns the
 * number of rows it returned or changed; the rows it returned go to
 * *result, unless NULL, in the caller's memory.  A result other than the
 * one the query expects is an internal error.
 */
uint64
jwt_auth_db_run(DbQuery *query, const Datum *args, const bool *nulls, DbResult *result)
{
	MemoryContext caller = CurrentMemoryContext;
	char		spi_nulls[DB_MAX_ARGS + 1];
	int			rc;
	uint64		processed;

	Assert(query->nargs <= DB_MAX_ARGS);
	(void) query_owner(query);
	if (query->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(query->sql, query->nargs, query->argtypes);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare: %s", query->sql);
		query->plan = plan;
	}
	for (int i = 0; i < query->nargs; i++)
		spi_nulls[i] = (nulls != NULL && nulls[i]) ? 'n' : ' ';
	spi_nulls[query->nargs] = '\0';

	if (query->latest)
		rc = SPI_execute_snapshot(query->plan, (Datum *) args, spi_nulls, GetLatestSnapshot(),
								  InvalidSnapshot, true, false, 0);
	else
		rc = SPI_execute_plan(query->plan, (Datum *) args, spi_nulls, false, 0);
	/* SPI returns in its own memory context: back to the caller's. */
	MemoryContextSwitchTo(caller);
	if (rc != query->expect)
		elog(ERROR, "could not run: %s", query->sql);
	processed = SPI_processed;

	if (result != NULL)
	{
		TupleDesc	desc = SPI_tuptable ? SPI_tuptable->tupdesc : NULL;
		int			ncols = desc ? desc->natts : 0;

		result->nrows = desc ? processed : 0;
		result->ncols = ncols;
		result->values = palloc(sizeof(Datum) * Max(result->nrows * ncols, 1));
		result->nulls = palloc(sizeof(bool) * Max(result->nrows * ncols, 1));
		for (uint64 r = 0; r < result->nrows; r++)
		{
			for (int c = 0; c < ncols; c++)
			{
				Form_pg_attribute att = TupleDescAttr(desc, c);
				uint64		i = r * ncols + c;
				Datum		d = SPI_getbinval(SPI_tuptable->vals[r], desc, c + 1, &result->nulls[i]);

				if (result->nulls[i])
					result->values[i] = (Datum) 0;
				else if (att->attlen == -1)
					result->values[i] = PointerGetDatum(PG_DETOAST_DATUM_COPY(d));
				else
					result->values[i] = datumCopy(d, att->attbyval, att->attlen);
			}
		}
	}
	if (SPI_tuptable != NULL)
		SPI_freetuptable(SPI_tuptable);
	return processed;
}

/*
 * Run "query", which locks rows (FOR UPDATE), as jwt_auth_db_run() does,
 * and return true; or return false if a row it would lock was changed by a
 * transaction that committed after this one's snapshot was taken.  Only
 * REPEATABLE READ and SERIALIZABLE transactions see that, as a
 * serialization failure (40001), which here is undone by a subtransaction
 * of its own instead of ending the caller's transaction: the caller learns
 * that it lost a race and acts on it.  "lost_if", a read of the latest
 * committed state with its own arguments "lost_args", tells whether it was
 * that race: it returns a row if so.  Any other serialization failure (one that
 * serializable isolation raises to be safe, say) is raised again.  Under
 * READ COMMITTED the lock waits and then reads the newest version of the
 * row, so no subtransaction is needed.
 */
bool
jwt_auth_db_try_lock(DbQuery *query, const Datum *args, DbResult *result,
					 DbQuery *lost_if, const Datum *lost_args)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	ErrorData  *volatile conflict = NULL;

	Assert(lost_if->latest);
	if (!IsolationUsesXactSnapshot())
	{
		(void) jwt_auth_db_run(query, args, NULL, result);
		return true;
	}

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller);
	PG_TRY();
	{
		(void) jwt_auth_db_run(query, args, NULL, result);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = caller_owner;
	}
	PG_CATCH();
	{
		ErrorData  *error;

		MemoryContextSwitchTo(caller);
		error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = caller_owner;
		if (error->sqlerrcode != ERRCODE_T_R_SERIALIZATION_FAILURE)
			ReThrowError(error);
		conflict = error;
	}
	PG_END_TRY();
	if (conflict == NULL)
		return true;
	if (jwt_auth_db_run(lost_if, lost_args, NULL, NULL) == 0)
		ReThrowError(conflict);
	FreeErrorData(conflict);
	return false;
}

/*
 * Under REPEATABLE READ and SERIALIZABLE, fail with 40001 if "query", a
 * read of the latest committed state, returns a row: a transaction that
 * committed after this one's snapshot was taken made a row this one must
 * have seen ("what" says which), as a session opened by a sign-in that
 * this transaction waited for.  The caller retries the transaction.  Under
 * READ COMMITTED every statement sees what committed before it, and the
 * caller's own writes already did.
 */
void
jwt_auth_db_require_none(DbQuery *query, const Datum *args, const bool *nulls, const char *what)
{
	Assert(query->latest);
	if (!IsolationUsesXactSnapshot() || jwt_auth_db_run(query, args, nulls, NULL) == 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to %s", what),
			 errhint("The transaction might succeed if retried.")));
}

/*
 * Run "query", a read with "latest" set and no parameters, as the owner of
 * its tables in a security-restricted operation, on a connection of its
 * own: for the caches, which may be filled from any function, whatever role
 * calls it.  Every function and operator in the query must be
 * schema-qualified, since it runs with the caller's search_path.
 */
void
jwt_auth_db_read(DbQuery *query, DbResult *result)
{
	Oid			save_userid;
	int			save_sec_context;

	Assert(query->latest && query->nargs == 0);
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(query_owner(query),
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	jwt_auth_db_connect();
	(void) jwt_auth_db_run(query, NULL, NULL, result);
	jwt_auth_db_finish();
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

/*
 * auth.schema_created_now(), which the install script makes, calls once and
 * drops: true if schema auth was created by the current transaction, so
 * that no other session can have put anything in it, even uncommitted.
 */
PG_FUNCTION_INFO_V1(jwt_auth_schema_created_now);
Datum
jwt_auth_schema_created_now(PG_FUNCTION_ARGS)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACENAME, CStringGetDatum("auth"));
	bool		created_now;

	if (!HeapTupleIsValid(tup))
		PG_RETURN_BOOL(false);
	created_now = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tup->t_data));
	ReleaseSysCache(tup);
	PG_RETURN_BOOL(created_now);
}

/* A uuid's text, checked, as a uuid parameter. */
Datum
jwt_auth_db_uuid(const char *text)
{
	pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));

	if (!jwt_auth_codec_uuid_parse(text, strlen(text), u->data))
		elog(ERROR, "not a uuid: \"%s\"", text);
	return UUIDPGetDatum(u);
}

/* The text of a uuid result. */
char *
jwt_auth_db_uuid_text(Datum uuid)
{
	char	   *out = palloc(37);

	jwt_auth_codec_uuid_format(DatumGetUUIDP(uuid)->data, out);
	return out;
}
