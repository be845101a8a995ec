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
extern void identity_set(const char *user_id, const char *claims, bool is_local);

#endif							/* JWT_AUTH_IDENTITY_H */
