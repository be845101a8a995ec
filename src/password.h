/*-------------------------------------------------------------------------
 *
 * password.h
 *	  Password rules and hashing (bcrypt through pgcrypto).
 *
 * src/password.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_PASSWORD_H
#define JWT_AUTH_PASSWORD_H

#define PASSWORD_MIN_CHARS	8
#define PASSWORD_MAX_BYTES	1024

extern bool jwt_auth_password_size_ok(Datum password);
extern text *jwt_auth_password_check_rules(Datum password);
extern char *jwt_auth_password_hash(text *password, int cost);
extern bool jwt_auth_password_matches(text *password, const char *stored, int cost);
extern int	jwt_auth_password_cost(const char *stored);
extern void jwt_auth_password_pad(text *password, int from, int to);

#endif							/* JWT_AUTH_PASSWORD_H */
