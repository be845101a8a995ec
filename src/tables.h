/*-------------------------------------------------------------------------
 *
 * tables.h
 *	  Finding the extension's tables in schema auth, safely.
 *
 * src/tables.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_TABLES_H
#define JWT_AUTH_TABLES_H

extern Oid	auth_table(const char *relname, Oid *owner);
extern bool auth_table_exists(const char *relname);
extern void require_sessions(void);

#endif							/* JWT_AUTH_TABLES_H */
