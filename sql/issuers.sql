-- Tokens of other issuers (auth.trust_issuer()): the JWKS a trusted issuer
-- may hand over and what is refused, the tokens that verify and the
-- identity they set, every forgery refused, the token cache forgetting an
-- issuer's tokens when its keys change, the bound on their lifetime, and
-- the owner-only rule.
-- Fixtures (install.sql): regress.try_verify; the role regress_app.
--
-- The JWKS and tokens below were signed once, offline, with keys derived
-- from fixed seeds (the SHA-256 of "issuer a ed25519", "issuer a p256",
-- "issuer a p256 two", "issuer b ed25519"); issued in 2023, they expire in
-- 2100, so they verify only where no lifetime is imposed.  Issuer A
-- (https://a.example) has an Ed25519 key "a-ed" and a P-256 key "a-es",
-- neither naming its "alg"; issuer B (https://b.example) an Ed25519 key
-- "b-ed".  Their tokens carry Better Auth's kind of claims: a 32-character
-- "sub", "role": "admin", "email": null, no "sid".
\set VERBOSITY default
\set SHOW_CONTEXT never
\set jwks_a '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"gRGRMjkclDplmyQZi9xFAFLyzqYL4lsgL7SKf_1qks0","kid":"a-ed"},{"kty":"EC","crv":"P-256","x":"w3h_k60-c24no1mJjWcZJk5CBGUWp6EZg6XvNBkCHEE","y":"a0uu9lGYM5AuAagogpSFWW0dS6BESBUW_oo9MlpojXw","kid":"a-es"}]}'
\set jwks_a_rotated '{"keys":[{"kty":"EC","crv":"P-256","x":"ldQdY9t5N0SMvMQ5gpsz-6cYCgV1cDaUrDjcfCoJdf4","y":"0vryWZIvZkvhRcJ7Jhgtu73DEeB8XCeZ_et6Cm5It-o","kid":"a-es2","alg":"ES256"}]}'
\set jwks_b '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"KgOcHWF_oKeQH6xsUaKqmpd0jq6AfJKZuQgM5yP5fM8","kid":"b-ed","alg":"EdDSA"}]}'
\set t_a_eddsa 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiS3gybjhRcFI0dlQ2eVcwekEzY0U1Z0k3a005b1MxdVgiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMCwicm9sZSI6ImFkbWluIiwiZW1haWwiOm51bGwsIm5hbWUiOiJBbGljZSIsImVtYWlsVmVyaWZpZWQiOmZhbHNlfQ.pxzzvKebuTjA2dVKVYzxZGzDMS8ptVv25SWeUIxpRVr2HKIWUElpkTyJG0fpMux4sBw5__sCyp8D3mCJ4LcmBQ'
\set t_a_ed25519 'eyJhbGciOiJFZDI1NTE5Iiwia2lkIjoiYS1lZCIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiS3gybjhRcFI0dlQ2eVcwekEzY0U1Z0k3a005b1MxdVgiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMCwicm9sZSI6ImFkbWluIiwiZW1haWwiOm51bGwsIm5hbWUiOiJBbGljZSIsImVtYWlsVmVyaWZpZWQiOmZhbHNlfQ.1tfCFZxJHbh0w38BTxD4cA0lGJXeJs86vnPtNd5d1heHijwKV9GPeoE4O7d7azMkACw29xhicBjCy7dyz2bGBw'
\set t_a_es256_uuid 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImEtZXMifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6WyJvdGhlciIsInRvZG8tYXBpIl0sInN1YiI6IjRmMWUyZDNjLTViNmEtNDk3OC04YTliLTBjMWQyZTNmNGE1YiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjo0MTAyNDQ0ODAwLCJlbWFpbCI6bnVsbCwibmFtZSI6IkFsaWNlIiwiZW1haWxWZXJpZmllZCI6ZmFsc2V9.pH_yKGQP9TSJjgo6b9JfAi7QyVW_UEDKZ4C5qCqjI3b7LwdvelY4yfepcw4T2TK2y-fYpvh2gIN5uCOxn3ByNQ'
\set t_a_upper_uuid 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiNEYxRTJEM0MtNUI2QS00OTc4LThBOUItMEMxRDJFM0Y0QTVCIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjQxMDI0NDQ4MDAsInJvbGUiOiJhZG1pbiIsImVtYWlsIjpudWxsLCJuYW1lIjoiQWxpY2UiLCJlbWFpbFZlcmlmaWVkIjpmYWxzZX0.xlf1dJXDyClkvG9wH9Yv3CepyTq1dgCo-806KUc_hEX-RT_GHDkCRNe-Dsf1SBwjg7lmhsVAhe6WtQiGPX_XBA'
\set t_a_es2 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImEtZXMyIn0.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiYWZ0ZXIgcm90YXRpb24iLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMCwicm9sZSI6ImFkbWluIiwiZW1haWwiOm51bGwsIm5hbWUiOiJBbGljZSIsImVtYWlsVmVyaWZpZWQiOmZhbHNlfQ.rIL7MJNVWH3ehXCHABFR8Wg_xRJTCO4XmaOhhJ0IWtPFijYfcfE-9Sl6T2FyOc0P_OfGa4UN3d8GX7HinpXVlg'
\set t_cross_kid 'eyJhbGciOiJFZERTQSIsImtpZCI6ImItZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiS3gybjhRcFI0dlQ2eVcwekEzY0U1Z0k3a005b1MxdVgiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMCwicm9sZSI6ImFkbWluIiwiZW1haWwiOm51bGwsIm5hbWUiOiJBbGljZSIsImVtYWlsVmVyaWZpZWQiOmZhbHNlfQ.IWfcNsB31BzTTP1Eg7JtX5GKqn_N7p4t-I_Ome-5krFpDR_YjPJl69SoNQa9epKAAMVaw6N1Bpxb_EKRHd2LAw'
\set t_b 'eyJhbGciOiJFZERTQSIsImtpZCI6ImItZWQifQ.eyJpc3MiOiJodHRwczovL2IuZXhhbXBsZSIsImF1ZCI6ImFueXRoaW5nIiwic3ViIjoiYm9iIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjQxMDI0NDQ4MDAsInJvbGUiOiJhZG1pbiIsImVtYWlsIjpudWxsLCJuYW1lIjoiQWxpY2UiLCJlbWFpbFZlcmlmaWVkIjpmYWxzZX0.n7QNtfz__uHvKdtfZMcy4J9N4yQrBUMTWg04cJRTC-j-ymz6THvcTF6kYiq7yGmQHAJ2sLmTec26VId0HV7ACg'
\set t_b_noaud 'eyJhbGciOiJFZERTQSIsImtpZCI6ImItZWQifQ.eyJpc3MiOiJodHRwczovL2IuZXhhbXBsZSIsInN1YiI6ImJvYiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjo0MTAyNDQ0ODAwLCJyb2xlIjoiYWRtaW4iLCJlbWFpbCI6bnVsbCwibmFtZSI6IkFsaWNlIiwiZW1haWxWZXJpZmllZCI6ZmFsc2V9.Uu8U0tIBuKxj2QXTDFCFnHVdcdEslFobqOJS1Hvr-8cd2_3nuZV30AZZs9xZNABalgLPn-jaf1dTGjB3OaJ8Dg'
\set t_wrong_aud 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InNvbWVvbmUtZWxzZSIsInN1YiI6Ikt4Mm44UXBSNHZUNnlXMHpBM2NFNWdJN2tNOW9TMXVYIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjQxMDI0NDQ4MDAsInJvbGUiOiJhZG1pbiIsImVtYWlsIjpudWxsLCJuYW1lIjoiQWxpY2UiLCJlbWFpbFZlcmlmaWVkIjpmYWxzZX0.setKp91BPqQSUXUT2Xrht9S5DNtVh1IaAbYg-sfDEnb4713egsdOoMeWMk1sxYrEIpVEiHpLYNtFpdOn7mCxBg'
\set t_no_aud 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsInN1YiI6Ikt4Mm44UXBSNHZUNnlXMHpBM2NFNWdJN2tNOW9TMXVYIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjQxMDI0NDQ4MDAsInJvbGUiOiJhZG1pbiIsImVtYWlsIjpudWxsLCJuYW1lIjoiQWxpY2UiLCJlbWFpbFZlcmlmaWVkIjpmYWxzZX0.h7o8vc5_qr9xn4MdMcWEgFgcoirtIYvm6T3jENie9ZGWoZjco-i4hkbBe-5E0dpuXKs80U3Ep3nT3COkQgJOCg'
\set t_expired 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiS3gybjhRcFI0dlQ2eVcwekEzY0U1Z0k3a005b1MxdVgiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDkwMCwicm9sZSI6ImFkbWluIiwiZW1haWwiOm51bGwsIm5hbWUiOiJBbGljZSIsImVtYWlsVmVyaWZpZWQiOmZhbHNlfQ.xEaG-3lVDgt6KeyD4FWyF6Mcyy93-B75DdoFeYBAjQRuLjOnHRJoCh3GaNpPvAXWqkk67Eow5j3gqbFOx-TDCQ'
\set t_no_exp 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiS3gybjhRcFI0dlQ2eVcwekEzY0U1Z0k3a005b1MxdVgiLCJpYXQiOjE3MDAwMDAwMDAsInJvbGUiOiJhZG1pbiIsImVtYWlsIjpudWxsLCJuYW1lIjoiQWxpY2UiLCJlbWFpbFZlcmlmaWVkIjpmYWxzZX0.tTSJYjYm6L-m5t41YL00OYKQ0VgQ1spIzGC7k8QDjtbe7HJlyzO_D5PJaWOHVCMR5VPzKhQa1RWP130HWucGBQ'
\set t_exp_string 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiS3gybjhRcFI0dlQ2eVcwekEzY0U1Z0k3a005b1MxdVgiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6IjQxMDI0NDQ4MDAiLCJyb2xlIjoiYWRtaW4iLCJlbWFpbCI6bnVsbCwibmFtZSI6IkFsaWNlIiwiZW1haWxWZXJpZmllZCI6ZmFsc2V9.At4w3wCsobsM53DZmI3zMx6OZYNGE9VIDSj6iNILZWcBnNx3Jx87KfXOxYC9haxP84q6_zVkZBQPKbjdJlaMBA'
\set t_tampered 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoic29tZWJvZHkgZWxzZSIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjo0MTAyNDQ0ODAwLCJyb2xlIjoiYWRtaW4iLCJlbWFpbCI6bnVsbCwibmFtZSI6IkFsaWNlIiwiZW1haWxWZXJpZmllZCI6ZmFsc2V9.pxzzvKebuTjA2dVKVYzxZGzDMS8ptVv25SWeUIxpRVr2HKIWUElpkTyJG0fpMux4sBw5__sCyp8D3mCJ4LcmBQ'
\set t_alg_mismatch 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiS3gybjhRcFI0dlQ2eVcwekEzY0U1Z0k3a005b1MxdVgiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMCwicm9sZSI6ImFkbWluIiwiZW1haWwiOm51bGwsIm5hbWUiOiJBbGljZSIsImVtYWlsVmVyaWZpZWQiOmZhbHNlfQ.7frCGKM2mRZMgMo-IXf2xckFnyPPwjnV_vYa2CZgssNCm41mAQwOLpb81xNBKXCqqSyqumblowxGSrrBAOhwYA'
\set t_hs256_pubkey 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiS3gybjhRcFI0dlQ2eVcwekEzY0U1Z0k3a005b1MxdVgiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMCwicm9sZSI6ImFkbWluIiwiZW1haWwiOm51bGwsIm5hbWUiOiJBbGljZSIsImVtYWlsVmVyaWZpZWQiOmZhbHNlfQ.jRWEgz_BFkpWx1y65VYiXZJjUZVOIOiGAIVqEwfCy_s'
\set t_none 'eyJhbGciOiJub25lIiwia2lkIjoiYS1lZCJ9.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiS3gybjhRcFI0dlQ2eVcwekEzY0U1Z0k3a005b1MxdVgiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMCwicm9sZSI6ImFkbWluIiwiZW1haWwiOm51bGwsIm5hbWUiOiJBbGljZSIsImVtYWlsVmVyaWZpZWQiOmZhbHNlfQ.'
\set t_sub_long 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoic3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3NzcyIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjo0MTAyNDQ0ODAwLCJyb2xlIjoiYWRtaW4iLCJlbWFpbCI6bnVsbCwibmFtZSI6IkFsaWNlIiwiZW1haWxWZXJpZmllZCI6ZmFsc2V9.Kb8rm4mH4H6bs4p8CqwC2fb1O9H4s0Y5j4fLcDBisbqEIeecH8-RJAaH3NJHi0KolUcU1z1_dvpySiqKzFruCw'
\set t_sub_255 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoic3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3NzIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjQxMDI0NDQ4MDAsInJvbGUiOiJhZG1pbiIsImVtYWlsIjpudWxsLCJuYW1lIjoiQWxpY2UiLCJlbWFpbFZlcmlmaWVkIjpmYWxzZX0.zcynUm90hJ5cTa0bGkQnbbLS0N687e84o-z0znTHMn_c-Fef2FmA37gHSDIz0Z1_x9XCG_NHT0pKQow2x6IGBg'
\set t_sub_empty 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjQxMDI0NDQ4MDAsInJvbGUiOiJhZG1pbiIsImVtYWlsIjpudWxsLCJuYW1lIjoiQWxpY2UiLCJlbWFpbFZlcmlmaWVkIjpmYWxzZX0.DW5-wG2toKEzVDqmUSWR2_fo3GbdJxot_F9__9szQAoecvyuUTfdeQeXBRANFjsXPjbhieH4n0QD0Nx_8nFsDg'
\set t_sub_number 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjo0MiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjQxMDI0NDQ4MDAsInJvbGUiOiJhZG1pbiIsImVtYWlsIjpudWxsLCJuYW1lIjoiQWxpY2UiLCJlbWFpbFZlcmlmaWVkIjpmYWxzZX0.FxhMuEr6B8LhSFcYm_jguml-fJvj_EVyt7zFS1jkFZ-7Tjiq0JvVZt9FymCH0J1QE5cvCP0_iC2QCltwE5_aCw'
\set t_untrusted 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2MuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiS3gybjhRcFI0dlQ2eVcwekEzY0U1Z0k3a005b1MxdVgiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMCwicm9sZSI6ImFkbWluIiwiZW1haWwiOm51bGwsIm5hbWUiOiJBbGljZSIsImVtYWlsVmVyaWZpZWQiOmZhbHNlfQ.LjpWK0xofJttuR56aZB8coexQysZ6oeQFP_YuEQoVhM2JbOEj_MTU5OAVcy2n4bOtZh6v7b4zulAzNBt_8vPAw'
\set t_nbf_future 'eyJhbGciOiJFZERTQSIsImtpZCI6ImEtZWQifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSIsImF1ZCI6InRvZG8tYXBpIiwic3ViIjoiS3gybjhRcFI0dlQ2eVcwekEzY0U1Z0k3a005b1MxdVgiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMCwicm9sZSI6ImFkbWluIiwiZW1haWwiOm51bGwsIm5hbWUiOiJBbGljZSIsImVtYWlsVmVyaWZpZWQiOmZhbHNlLCJuYmYiOjQxMDI0NDQ3OTB9.7KgOkkBmFSaXfKKgK9Ok9Odck7XJKdlpUiLbyISKU77XRFlx3KSJR6AnYjM-_6uQ5yYEvA7KjXTxSNr2v3iSAw'
\set rsa_n 'p5gVxG0_URHdbHUXD0gxxCOMElYPcjvBxvZkdCKgyGD-po9wQMKRV9TtwHEO36XIDwcR5XRo9UNGFmAK-xF612huCOEwUeWF2VxRLReHDtRiTB9-Ttt-Fmb9Gt3Ieimod2QRwVh21UrLZmFm36z_IvCwoHGNiXUhPsfPfupJXk6ijsD-HJRzrncaNvPYpn3b508otWXp4U383DHbxZWvpcWZV6WOE-Epdg0Wg971cheGWOzrWlW6fdq_-gVqiHshr0JCEwGeBZnbLuVMYrTsiLrGRxOD1fpvNKFMdQYYyKwlyyj8ESFBjVcdcc9H8RsbNEyIS0XMab1JYyGXAh55zw'
\set ed_d 'jWzs7tYZAQoNijehCEJqzLjiwUAloy4WaNB0GU0Kt7o'
\set a_ed_x 'gRGRMjkclDplmyQZi9xFAFLyzqYL4lsgL7SKf_1qks0'
\set a_es_x 'w3h_k60-c24no1mJjWcZJk5CBGUWp6EZg6XvNBkCHEE'
\set a_es_y 'a0uu9lGYM5AuAagogpSFWW0dS6BESBUW_oo9MlpojXw'

-- pg_temp.try_trust(issuer, jwks, audience, max_lifetime): the number of
-- keys trusted, or the SQLSTATE, message and detail of the error.
CREATE FUNCTION pg_temp.try_trust(issuer text, jwks jsonb, audience text DEFAULT 'todo-api',
                                  max_lifetime interval DEFAULT '1 day') RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    state text;
    msg text;
    detail text;
BEGIN
    RETURN auth.trust_issuer(issuer, jwks, audience, max_lifetime)::text;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    RETURN state || ' ' || msg || coalesce(nullif(': ' || detail, ': '), '');
END
$$;
-- pg_temp.verify_hint(token): the hint of the error auth.verify() raises.
CREATE FUNCTION pg_temp.verify_hint(token text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    hint text;
BEGIN
    PERFORM auth.verify(token);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RETURN hint;
END
$$;

-- Nothing is trusted yet: another issuer's token is refused.
SELECT regress.try_verify(:'t_a_eddsa');

-- JWKS that are refused (22023), each with a detail naming the key; none
-- changes anything.
SELECT name, pg_temp.try_trust('https://a.example', jwks::jsonb) AS result FROM (VALUES
    ('not an object',      '[]'),
    ('no keys',            '{"keys":{}}'),
    ('empty',              '{"keys":[]}'),
    ('a key not object',   '{"keys":["x"]}'),
    ('no kid',             '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"' || :'a_ed_x' || '"}]}'),
    ('private',            '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"' || :'a_ed_x' || '","d":"' || :'ed_d' || '","kid":"k"}]}'),
    ('symmetric',          '{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"k","alg":"HS256"}]}'),
    ('for encryption',     '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"' || :'a_ed_x' || '","kid":"k","use":"enc"}]}'),
    ('key_ops no verify',  '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"' || :'a_ed_x' || '","kid":"k","key_ops":["sign","encrypt"]}]}'),
    ('key_ops empty',      '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"' || :'a_ed_x' || '","kid":"k","key_ops":[]}]}'),
    ('key_ops a string',   '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"' || :'a_ed_x' || '","kid":"k","key_ops":"verify"}]}'),
    ('alg of another kty', '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"' || :'a_ed_x' || '","kid":"k","alg":"ES256"}]}'),
    ('short x',            '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA","kid":"k"}]}'),
    -- Small-order Ed25519 points (anyone can sign for them) and encodings of
    -- a y of p = 2^255 - 19 or more.
    ('Ed25519 identity',   '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kid":"k"}]}'),
    ('Ed25519 y = 0',      '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kid":"k"}]}'),
    ('Ed25519 order 2',    '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"7P_______________________________________38","kid":"k"}]}'),
    ('Ed25519 order 8',    '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"xxdqcD1N2E-6PAt2DRBnDyogU_osOczGTsf9d5KsA_o","kid":"k"}]}'),
    ('Ed25519 y = p',      '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"7f_______________________________________38","kid":"k"}]}'),
    ('Ed25519 y = p + 3',  '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"8P_______________________________________38","kid":"k"}]}'),
    ('point off curve',    '{"keys":[{"kty":"EC","crv":"P-256","x":"' || :'a_es_x' || '","y":"' || :'a_ed_x' || '","kid":"k"}]}'),
    ('RSA without alg',    '{"keys":[{"kty":"RSA","n":"' || :'rsa_n' || '","e":"AQAB","kid":"k"}]}'),
    ('RSA exponent 3',     '{"keys":[{"kty":"RSA","n":"' || :'rsa_n' || '","e":"Aw","kid":"k","alg":"PS256"}]}'),
    ('repeated kid',       '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"' || :'a_ed_x' || '","kid":"k"},'
                             '{"kty":"EC","crv":"P-256","x":"' || :'a_es_x' || '","y":"' || :'a_es_y' || '","kid":"k"}]}')
) AS cases(name, jwks);
SELECT pg_temp.try_trust('https://a.example',
    jsonb_build_object('keys', (SELECT jsonb_agg(jsonb_build_object('kty', 'OKP', 'crv', 'Ed25519', 'x', :'a_ed_x', 'kid', 'k' || i))
                                  FROM generate_series(1, 33) i))) AS too_many_keys;
-- The issuer and the audience are bounded; jwt_auth's own issuer cannot be
-- trusted as another's.
SELECT pg_temp.try_trust('', :'jwks_a') AS empty_issuer;
SELECT pg_temp.try_trust(repeat('i', 256), :'jwks_a') AS long_issuer;
SELECT pg_temp.try_trust('https://a.example', :'jwks_a', '') AS empty_audience;
SELECT pg_temp.try_trust(current_setting('jwt_auth.issuer'), :'jwks_a') AS own_issuer;
SELECT pg_temp.try_trust(NULL, :'jwks_a') AS null_issuer;
-- The longest lifetime of the issuer's tokens is 1 second to 30 days.
SELECT lifetime, pg_temp.try_trust('https://a.example', :'jwks_a', 'todo-api', lifetime::interval) AS result
  FROM (VALUES ('0'), ('999 milliseconds'), ('-1 day'), ('30 days 1 second'), ('1 year')) AS cases(lifetime);
SELECT count(*) AS nothing_trusted FROM auth.trusted_issuers();

-- Trusted with the default lifetime, a day: the fixtures, valid for 77
-- years, are refused, and so would be a token whose "exp" is in 9999.
SELECT auth.trust_issuer('https://a.example', :'jwks_a', 'todo-api') AS a_keys;
SELECT issuer, audience, max_lifetime, kid, alg FROM auth.trusted_issuers();
SELECT regress.try_verify(:'t_a_eddsa') AS a_token_of_77_years;
-- Certificates ("x5c") are not read, and "key_ops" may name "verify"
-- among others.
SELECT auth.trust_issuer('https://a.example', ('{"keys":[{"kty":"OKP","crv":"Ed25519","x":"' || :'a_ed_x'
    || '","kid":"a-ed","key_ops":["verify","sign"],"x5c":["not a certificate"],"x5t":"?"}]}')::jsonb,
    'todo-api', '15 minutes') AS a_keys;
SELECT issuer, max_lifetime, kid FROM auth.trusted_issuers();

-- Trusted without a lifetime (NULL, for the fixtures): A with its audience,
-- B with none.  An OKP Ed25519 key is EdDSA and an EC P-256 key ES256
-- without saying so.
SELECT auth.trust_issuer('https://a.example', :'jwks_a', 'todo-api', NULL) AS a_keys;
SELECT auth.trust_issuer('https://b.example', :'jwks_b', NULL, NULL) AS b_keys;
SELECT issuer, audience, max_lifetime, kid, alg FROM auth.trusted_issuers();
-- Their keys verify only: not in auth.jwks(), not in auth.keys, and
-- jwt_auth's own tokens are still signed and checked with its own key.
SELECT count(*) FILTER (WHERE k ->> 'kid' IN ('a-ed', 'a-es', 'b-ed')) AS outside_keys_published
  FROM jsonb_array_elements(auth.jwks() -> 'keys') k;
SELECT count(*) AS outside_keys_in_auth_keys FROM auth.keys WHERE kid IN ('a-ed', 'a-es', 'b-ed');
SELECT auth.signup('issuers@example.com', 'issuers password') AS own_uid \gset
SELECT auth.signin('issuers@example.com', 'issuers password') AS own_tok \gset
SELECT auth.verify(:'own_tok') = :'own_uid' AS own_token_verifies,
       (SELECT kid FROM auth.list_keys() WHERE signing) NOT IN ('a-ed', 'a-es', 'b-ed') AS own_key_signs;

-- A token of A: auth.verify() returns NULL (its "sub" is no UUID) and sets
-- the identity; auth.role() is "authenticated", not the token's "admin".
BEGIN;
SELECT auth.verify(:'t_a_eddsa') IS NULL AS verify_returns_null;
SELECT auth.user_id(), auth.uid(), auth.issuer(), auth.role(), auth.email(),
       auth.jwt() ->> 'role' AS role_claim, auth.jwt() ->> 'name' AS name;
COMMIT;
SELECT auth.user_id() IS NULL AS cleared_after_commit;
-- The same with the header naming the algorithm "Ed25519"; an ES256 token
-- whose "sub" is a UUID, and whose "aud" is an array holding the audience.
-- A subject is kept as given: the same UUID in capitals is another subject,
-- and no UUID for auth.uid(), so that no two subjects share one.
BEGIN;
SELECT regress.try_verify(:'t_a_ed25519') AS ed25519_name;
SELECT auth.verify(:'t_a_es256_uuid') AS uuid_subject, auth.uid(), auth.user_id(), auth.role();
SELECT auth.verify(:'t_a_upper_uuid') AS upper_case_uuid, auth.uid(), auth.user_id();
COMMIT;
-- The key policy applies again when the cache loads a key: a P-256 key
-- stored as ES384 (whose curve is P-384) is left out, so the issuer has no
-- key of that kid; stored as ES256 again, it verifies.
BEGIN;
UPDATE auth.issuer_keys SET alg = 'ES384' WHERE kid = 'a-es';
SELECT regress.try_verify(:'t_a_es256_uuid') AS p256_key_stored_as_es384;
ROLLBACK;
SELECT regress.try_verify(:'t_a_es256_uuid') AS p256_key_stored_as_es256;
-- With a small-order Ed25519 key, anyone signs anything: A and R the
-- identity and S = 0 verify for any claims, here the "sub" of a local user.
-- Stored by hand, such a key is left out when the cache loads it.
INSERT INTO auth.issuer_keys (issuer, kid, alg, public_key) VALUES ('https://a.example', 'a-small', 'EdDSA',
    E'-----BEGIN PUBLIC KEY-----\n'
    || encode(decode('302a300506032b6570032100' || '01' || repeat('00', 31), 'hex'), 'base64')
    || E'\n-----END PUBLIC KEY-----\n');
SELECT regress.try_verify(
    regress.b64url(convert_to('{"alg":"EdDSA","kid":"a-small"}', 'UTF8')) || '.'
    || regress.b64url(convert_to(json_build_object('iss', 'https://a.example', 'aud', 'todo-api', 'sub', :'own_uid',
                                                   'exp', extract(epoch FROM now())::bigint + 600)::text, 'UTF8')) || '.'
    || regress.b64url(decode('01' || repeat('00', 63), 'hex'))) AS forged_with_small_order_key;
DELETE FROM auth.issuer_keys WHERE kid = 'a-small';
-- B has no audience: tokens with any "aud", or none, verify.
SELECT regress.try_verify(:'t_b') AS b_any_audience, regress.try_verify(:'t_b_noaud') AS b_no_audience;
-- A "sub" of 255 bytes is the longest.
SELECT regress.try_verify(:'t_sub_255') AS sub_255_bytes;
-- Signing out with another issuer's token ends no session: they are its own.
SELECT auth.signout(:'t_a_eddsa') AS signed_out;
-- Another issuer may name any subject, a jwt_auth user's id included: its
-- identity is that uuid for auth.uid() (and so for policies keyed on it),
-- but it is no jwt_auth account, whose sessions and password it cannot touch.
SELECT auth.signup('twin@example.com', 'twin password') IS NOT NULL AS twin_signed_up;
UPDATE auth.users SET id = '4f1e2d3c-5b6a-4978-8a9b-0c1d2e3f4a5b' WHERE email = 'twin@example.com';
SELECT auth.signin('twin@example.com', 'twin password') AS twin_tok \gset
BEGIN;
SELECT auth.verify(:'t_a_es256_uuid') = auth.uid() AS outside_uid;
SELECT auth.signout_all();
ROLLBACK;
BEGIN;
SELECT auth.verify(:'t_a_es256_uuid') = auth.uid() AS outside_uid;
SELECT auth.change_password('twin password', 'another twin password');
ROLLBACK;
SELECT regress.try_verify(:'twin_tok') AS twin_session_alive;
BEGIN;
SELECT auth.verify(:'twin_tok') = auth.uid() AS own_uid;
SELECT auth.signout_all() AS own_signout_all;
COMMIT;
SELECT regress.try_verify(:'twin_tok') AS twin_signed_out;

-- Refused, all with 28000.
SELECT name, regress.try_verify(t) AS result FROM (VALUES
    ('tampered claims',    :'t_tampered'),
    ('alg none',           :'t_none'),
    ('HS256, public key',  :'t_hs256_pubkey'),
    ('alg not the key''s', :'t_alg_mismatch'),
    ('B''s kid, A''s iss', :'t_cross_kid'),
    ('untrusted iss',      :'t_untrusted'),
    ('wrong audience',     :'t_wrong_aud'),
    ('no audience',        :'t_no_aud'),
    ('expired',            :'t_expired'),
    ('no exp',             :'t_no_exp'),
    ('exp a string',       :'t_exp_string'),
    ('nbf ahead',          :'t_nbf_future'),
    ('sub empty',          :'t_sub_empty'),
    ('sub 256 bytes',      :'t_sub_long'),
    ('sub a number',       :'t_sub_number')
) AS cases(name, t);
-- An unknown kid says what to do.
SELECT pg_temp.verify_hint(:'t_cross_kid') AS unknown_kid_hint;

-- Rotation: trusting A again replaces its keys at once, in the token cache
-- too (the token was verified, so cached, above).
SELECT regress.try_verify(:'t_a_eddsa') AS before_rotation, regress.try_verify(:'t_a_es2') AS new_key_before;
SELECT auth.trust_issuer('https://a.example', :'jwks_a_rotated', 'todo-api', NULL) AS a_keys;
SELECT regress.try_verify(:'t_a_eddsa') AS old_key_after, regress.try_verify(:'t_a_es2') AS new_key_after;
-- A change that rolls back changes nothing.
BEGIN;
SELECT auth.trust_issuer('https://a.example', :'jwks_a', 'todo-api', NULL) AS a_keys;
SELECT regress.try_verify(:'t_a_eddsa') AS inside;
ROLLBACK;
SELECT regress.try_verify(:'t_a_eddsa') AS after_rollback;
-- A changed audience applies to tokens verified before.
SELECT regress.try_verify(:'t_b') AS b_cached;
SELECT auth.trust_issuer('https://b.example', :'jwks_b', 'only-this', NULL) AS b_keys;
SELECT regress.try_verify(:'t_b') AS b_new_audience;
-- So does a lifetime imposed.
SELECT auth.trust_issuer('https://b.example', :'jwks_b', NULL, NULL) AS b_keys;
SELECT regress.try_verify(:'t_b') AS b_cached;
SELECT auth.trust_issuer('https://b.example', :'jwks_b', NULL, '30 days') AS b_keys;
SELECT regress.try_verify(:'t_b') AS b_now_bounded;

-- Owner only: the application role can neither trust, distrust nor list.
SET ROLE regress_app;
SELECT pg_temp.try_trust('https://c.example', :'jwks_b') AS app_trusts;
SELECT regress.fails('SELECT auth.distrust_issuer(''https://b.example'')') AS app_distrusts,
       regress.fails('SELECT * FROM auth.trusted_issuers()') AS app_lists,
       regress.fails('SELECT * FROM auth.issuer_keys') AS app_reads_keys;
-- Yet it verifies their tokens, and the identity cannot be set by hand.
BEGIN;
SELECT auth.verify(:'t_a_es2') IS NULL AS app_verifies, auth.user_id(), auth.issuer();
SELECT regress.fails('SET LOCAL jwt_auth.user_id = ''someone''') AS set_refused;
COMMIT;
RESET ROLE;

-- Distrusting ends its tokens at once; a second time there is nothing to do.
SELECT auth.distrust_issuer('https://a.example') AS distrusted, auth.distrust_issuer('https://a.example') AS again;
SELECT regress.try_verify(:'t_a_es2') AS after_distrust;
SELECT issuer, kid FROM auth.trusted_issuers();
SELECT auth.distrust_issuer('https://b.example') AS distrusted;
