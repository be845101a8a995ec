/*-------------------------------------------------------------------------
 *
 * identity.h
 *	  The verified identity of the current transaction or session.
 *
 * src/identity.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_IDENTITY_H
#define JWT_AUTH_IDENTITY_H

extern void identity_init(void);
#include "utils/uuid.h"

extern void identity_set(const char *sub, const char *claims, bool foreign,
						 bool is_local);
extern void identity_refused(void);
extern bool identity_current_uid(pg_uuid_t *uid);
extern void identity_require_account(pg_uuid_t *uid);
extern text *claim_text(const char *name);

#endif							/* JWT_AUTH_IDENTITY_H */
