/*-------------------------------------------------------------------------
 *
 * throttle.h
 *	  Throttling of failed sign-ins, per database and email, in a table
 *	  that every backend of the server maps.
 *
 * src/throttle.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_THROTTLE_H
#define JWT_AUTH_THROTTLE_H

/* Where an email's counters are, worked out once per sign-in. */
typedef struct ThrottleKey
{
	bool		active;			/* false: throttling is off */
	uint64		key;			/* never 0 */
	uint32		set;			/* first entry of its set */
	uint32		bucket[2];		/* its overflow counters */
} ThrottleKey;

extern void jwt_auth_throttle_attempt(const char *email, size_t len, ThrottleKey *tk);
extern void jwt_auth_throttle_success(const ThrottleKey *tk);

#endif							/* JWT_AUTH_THROTTLE_H */
