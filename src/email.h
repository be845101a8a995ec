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

#define EMAIL_MAX_LENGTH		254
#define EMAIL_MAX_LOCAL_LENGTH	64

extern char *jwt_auth_email_argument(Datum email, const char **why);

#endif							/* JWT_AUTH_EMAIL_H */
