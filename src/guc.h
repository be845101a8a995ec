/*-------------------------------------------------------------------------
 *
 * guc.h
 *	  The settings that shape issued and accepted tokens.
 *
 * src/guc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_GUC_H
#define JWT_AUTH_GUC_H

extern int	jwt_auth_token_ttl;
extern int	jwt_auth_leeway;
extern int	jwt_auth_bcrypt_cost;
extern int	jwt_auth_refresh_ttl;
extern bool jwt_auth_check_sessions;
extern char *jwt_auth_issuer;
extern char *jwt_auth_audience;
extern int	jwt_auth_cache_size;

extern void guc_init(void);

#endif							/* JWT_AUTH_GUC_H */
