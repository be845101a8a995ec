/*-------------------------------------------------------------------------
 *
 * db.h
 *	  The database layer: the extension's tables in schema auth, found
 *	  safely, the SQL version they are at, and the one way to query them.
 *
 * src/db.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_DB_H
#define JWT_AUTH_DB_H

#include "executor/spi.h"

/* The SQL versions a database may be at, as its tables tell. */
typedef enum DbVersion
{
	DB_VERSION_1_0,				/* auth.users and auth.keys only */
	DB_VERSION_1_1,				/* sessions, refresh tokens, settings, issuers */
	DB_VERSION_1_2				/* account tokens, verified and disabled users */
} DbVersion;

#define DB_MAX_ARGS		5
#define DB_MAX_TABLES	3

/*
 * A statement over the auth.* tables, written once as a static variable
 * of the unit that runs it.  "tables" names every table it touches, whose
 * owner is checked before each run; "expect" is the SPI result it must
 * give (SPI_OK_SELECT, SPI_OK_UPDATE, ...).  "latest" reads the latest
 * committed state instead of the transaction's snapshot (a read only).
 * Its plan is prepared on first use and kept for the life of the backend.
 * Every function and operator in "sql" is schema-qualified.
 */
typedef struct DbQuery
{
	const char *sql;
	const char *tables[DB_MAX_TABLES];
	int			nargs;
	Oid			argtypes[DB_MAX_ARGS];
	int			expect;
	bool		latest;
	SPIPlanPtr	plan;			/* kept after the first run */
} DbQuery;

/* The rows a query returned, copied into the memory of its caller. */
typedef struct DbResult
{
	uint64		nrows;
	int			ncols;
	Datum	   *values;			/* row by row, ncols values each */
	bool	   *nulls;
} DbResult;

extern Oid	jwt_auth_db_table(const char *relname, Oid *owner);
extern DbVersion jwt_auth_db_version(void);
extern void jwt_auth_db_require_version(DbVersion version);

extern void jwt_auth_db_connect(void);
extern uint64 jwt_auth_db_run(DbQuery *query, const Datum *args, const bool *nulls,
							  DbResult *result);
extern bool jwt_auth_db_try_lock(DbQuery *query, const Datum *args, DbResult *result,
								 DbQuery *lost_if, const Datum *lost_args);
extern void jwt_auth_db_require_none(DbQuery *query, const Datum *args, const bool *nulls,
									 const char *what);
extern void jwt_auth_db_finish(void);
extern void jwt_auth_db_read(DbQuery *query, DbResult *result);
extern Datum jwt_auth_db_uuid(const char *text);
extern char *jwt_auth_db_uuid_text(Datum uuid);

/* Value "col" (from 0) of row "row" of a result; *isnull says if NULL. */
static inline Datum
jwt_auth_db_value(const DbResult *result, uint64 row, int col, bool *isnull)
{
	uint64		i = row * result->ncols + col;

	*isnull = result->nulls[i];
	return result->values[i];
}

#endif							/* JWT_AUTH_DB_H */
