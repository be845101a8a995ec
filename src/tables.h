/*-------------------------------------------------------------------------
 *
 * tables.h
 *	  Finding the extension's tables in schema auth, safely, and querying
 *	  them.
 *
 * src/tables.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_TABLES_H
#define JWT_AUTH_TABLES_H

extern Oid	jwt_auth_table(const char *relname, Oid *owner);
extern bool jwt_auth_table_exists(const char *relname);
extern void jwt_auth_require_sessions(void);

/* A query run by jwt_auth_read_begin(), until jwt_auth_read_end(). */
typedef struct AuthRead
{
	Oid			save_userid;
	int			save_sec_context;
} AuthRead;

extern void jwt_auth_read_begin(Oid owner, const char *sql, AuthRead *state);
extern void jwt_auth_read_end(AuthRead *state);

extern void jwt_auth_query_begin(void);
extern uint64 jwt_auth_query(const char *sql, int nargs, Oid *types, Datum *values,
						 const char *nulls, bool read_only, int expected);
extern void jwt_auth_query_end(void);

#endif							/* JWT_AUTH_TABLES_H */
