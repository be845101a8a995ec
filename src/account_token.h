/*-------------------------------------------------------------------------
 *
 * account_token.h
 *	  One-time tokens that prove control of an inbox: made for a password
 *	  reset, an email verification or an email change, used once.
 *
 * src/account_token.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_ACCOUNT_TOKEN_H
#define JWT_AUTH_ACCOUNT_TOKEN_H

#include "pg_compat.h"

/* What a token is for; the values of auth.account_tokens.purpose. */
typedef enum AccountTokenPurpose
{
	ACCOUNT_TOKEN_PASSWORD_RESET,
	ACCOUNT_TOKEN_EMAIL_VERIFICATION,
	ACCOUNT_TOKEN_EMAIL_CHANGE
} AccountTokenPurpose;

/* Tokens of one purpose made for one account in an hour, at most. */
#define ACCOUNT_TOKEN_REQUESTS	3

/* The account a token was made for, once used. */
typedef struct AccountTokenUse
{
	Datum		user_id;		/* uuid */
	char	   *email;			/* the address the token was sent to */
	char	   *user_email;		/* the account's address now */
} AccountTokenUse;

extern char *jwt_auth_account_token_make(Datum user_id, AccountTokenPurpose purpose,
										 const char *email, int ttl);
extern void jwt_auth_account_token_use(Datum token, AccountTokenPurpose purpose,
									   AccountTokenUse *use);
extern void jwt_auth_account_tokens_void(Datum user_id);
pg_noreturn extern void jwt_auth_account_token_refuse(void);

#endif							/* JWT_AUTH_ACCOUNT_TOKEN_H */
