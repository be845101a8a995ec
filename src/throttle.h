/*-------------------------------------------------------------------------
 *
 * throttle.h
 *	  Throttling of failed sign-ins, per email, in shared memory.
 *
 * src/throttle.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_THROTTLE_H
#define JWT_AUTH_THROTTLE_H

extern void throttle_init(void);
extern void throttle_attempt(const char *email, size_t len);
extern void throttle_success(const char *email, size_t len);

#endif							/* JWT_AUTH_THROTTLE_H */
