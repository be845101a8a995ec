/*-------------------------------------------------------------------------
 *
 * email.h
 *	  Normalising and validating email addresses.
 *
 * src/email.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_EMAIL_H
#define JWT_AUTH_EMAIL_H

#include "pg_compat.h"

#define EMAIL_MAX_LENGTH		254
#define EMAIL_MAX_LOCAL_LENGTH	64

extern char *jwt_auth_email_argument(Datum email, const char **why);
extern char *jwt_auth_email_require(Datum email);
pg_noreturn extern void jwt_auth_email_refuse_taken(void);

#endif							/* JWT_AUTH_EMAIL_H */
