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

extern void jwt_auth_identity_init(void);
#include "utils/uuid.h"

extern void jwt_auth_identity_set(const char *sub, const char *claims, bool foreign,
								  bool is_local);
extern void jwt_auth_identity_refused(void);
extern void jwt_auth_identity_require_account(pg_uuid_t *uid);
extern text *jwt_auth_claim_text(const char *name);

#endif							/* JWT_AUTH_IDENTITY_H */
