-- wrk script of the login rows (bench/run.sh): POST /auth/login with the JSON body given in the
-- environment variable PORTCULLIS_BENCH_BODY (one registered user's {"email","password"}).
-- Every request is the same; successful logins do not count towards the lockout.
local body = os.getenv("PORTCULLIS_BENCH_BODY")
if body == nil or body == "" then
    error("PORTCULLIS_BENCH_BODY is not set")
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = body
