/*-------------------------------------------------------------------------
 *
 * session_scan.h
 *	  The table, index and index scan that the session look-ups of a query
 *	  share, and when they are given up.
 *
 * src/session_scan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_SESSION_SCAN_H
#define JWT_AUTH_SESSION_SCAN_H

#include "executor/tuptable.h"
#include "utils/relcache.h"

extern void jwt_auth_session_scan_init(void);
extern Relation jwt_auth_session_scan_open(Oid relid);
extern TupleTableSlot *jwt_auth_session_scan_fetch(const unsigned char id[16]);
extern void jwt_auth_session_scan_done(void);

#endif							/* JWT_AUTH_SESSION_SCAN_H */
