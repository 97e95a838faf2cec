// DATABASE_URL parsing into libpq parameters and password masking (issue "Postgres").
#include <gtest/gtest.h>

#include <algorithm>

#include "db/dsn.hpp"

namespace portcullis::db {
namespace {

std::string param(const ConnectionSettings& s, const std::string& key) {
    const auto it = std::find_if(s.params.begin(), s.params.end(),
                                 [&](const auto& p) { return p.first == key; });
    return it == s.params.end() ? "<absent>" : it->second;
}

ConnectionSettings parse(const std::string& url) {
    std::string error;
    auto settings = parse_database_url(url, error);
    EXPECT_TRUE(settings) << url << ": " << error;
    return settings.value_or(ConnectionSettings{});
}

TEST(DatabaseUrl, UrlFormGivesEveryPart) {
    const auto s = parse("postgresql://app:s3cret@db.internal:6543/auth?sslmode=require");
    EXPECT_EQ(param(s, "user"), "app");
    EXPECT_EQ(param(s, "password"), "s3cret");
    EXPECT_EQ(param(s, "host"), "db.internal");
    EXPECT_EQ(param(s, "port"), "6543");
    EXPECT_EQ(param(s, "dbname"), "auth");
    EXPECT_EQ(param(s, "sslmode"), "require");
    EXPECT_EQ(s.schema, "");
    EXPECT_EQ(s.masked, "postgresql://app:***@db.internal:6543/auth?sslmode=require");
}

TEST(DatabaseUrl, GssapiEncryptionIsOffUnlessAsked) {
    EXPECT_EQ(param(parse("postgresql://app@db/auth"), "gssencmode"), "disable");
    EXPECT_EQ(param(parse("host=db dbname=auth"), "gssencmode"), "disable");
    EXPECT_EQ(param(parse("postgresql://app@db/auth?gssencmode=require"), "gssencmode"), "require");
    EXPECT_EQ(param(parse("host=db gssencmode=prefer"), "gssencmode"), "prefer");
}

TEST(DatabaseUrl, PercentEncodedCredentialsAreDecoded) {
    const auto s = parse("postgres://us%40er:p%40ss%3Aw%2Frd%23@localhost/db");
    EXPECT_EQ(param(s, "user"), "us@er");
    EXPECT_EQ(param(s, "password"), "p@ss:w/rd#");
    EXPECT_EQ(s.masked.find("p%40ss"), std::string::npos);
}

TEST(DatabaseUrl, PrismaSchemaBecomesSearchPathAndPrismaOnlyParamsAreDropped) {
    const auto s = parse(
        "postgresql://u:p@h:5432/"
        "d?schema=tenant_1&connection_limit=5&pool_timeout=10&pgbouncer=true");
    EXPECT_EQ(s.schema, "tenant_1");
    EXPECT_EQ(param(s, "options"), "-c search_path=\"tenant_1\"");
    EXPECT_EQ(param(s, "connection_limit"), "<absent>");
    EXPECT_EQ(param(s, "pool_timeout"), "<absent>");
    EXPECT_EQ(param(s, "pgbouncer"), "<absent>");
    EXPECT_EQ(param(s, "schema"), "<absent>");
}

TEST(DatabaseUrl, SchemaJoinsExistingOptions) {
    const auto s = parse("postgresql://h/d?options=-c%20work_mem%3D4MB&schema=public");
    EXPECT_EQ(param(s, "options"), "-c work_mem=4MB -c search_path=\"public\"");
}

TEST(DatabaseUrl, Ipv6HostsAndSocketDirectories) {
    EXPECT_EQ(param(parse("postgresql://u@[::1]:5432/d"), "host"), "::1");
    EXPECT_EQ(param(parse("postgresql:///d?host=/var/run/postgresql"), "host"),
              "/var/run/postgresql");
}

// libpq's multi-host URL (issue #17: a primary and its standby, `target_session_attrs` picks the
// writable one): every host and port in order, a host without a port taking the default.
TEST(DatabaseUrl, MultiHostUrlListsEveryHostAndPort) {
    const auto s =
        parse("postgresql://app:s3cret@pg-a:5432,pg-b:5433/auth?target_session_attrs=read-write");
    EXPECT_EQ(param(s, "host"), "pg-a,pg-b");
    EXPECT_EQ(param(s, "port"), "5432,5433");
    EXPECT_EQ(param(s, "user"), "app");
    EXPECT_EQ(param(s, "password"), "s3cret");
    EXPECT_EQ(param(s, "dbname"), "auth");
    EXPECT_EQ(param(s, "target_session_attrs"), "read-write");
    EXPECT_EQ(s.masked.find("s3cret"), std::string::npos);

    const auto mixed = parse("postgresql://u@[::1]:6000,10.0.0.2,db.internal:7000/d");
    EXPECT_EQ(param(mixed, "host"), "::1,10.0.0.2,db.internal");
    EXPECT_EQ(param(mixed, "port"), "6000,,7000");
    const auto no_ports = parse("postgres://h1,h2/d");
    EXPECT_EQ(param(no_ports, "host"), "h1,h2");
    EXPECT_EQ(param(no_ports, "port"), "<absent>");

    std::string error;
    EXPECT_FALSE(parse_database_url("postgresql://u:pw@h1:x,h2/d", error));
    EXPECT_EQ(error.find("pw"), std::string::npos) << error;
    EXPECT_FALSE(parse_database_url("postgresql://u:pw@h1,,h2/d", error));
}

TEST(DatabaseUrl, KeyValueFormIsAccepted) {
    const auto s =
        parse("host=127.0.0.1 port=5433 dbname=auth user=app password='it\\'s x' schema=s1");
    EXPECT_EQ(param(s, "host"), "127.0.0.1");
    EXPECT_EQ(param(s, "port"), "5433");
    EXPECT_EQ(param(s, "user"), "app");
    EXPECT_EQ(param(s, "password"), "it's x");
    EXPECT_EQ(s.schema, "s1");
    EXPECT_EQ(param(s, "options"), "-c search_path=\"s1\"");
    const auto quoted = parse("host=h password='a b\\'c' dbname=x");
    EXPECT_EQ(param(quoted, "password"), "a b'c");
    EXPECT_EQ(quoted.masked.find("a b"), std::string::npos);
    EXPECT_NE(quoted.masked.find("password='***'"), std::string::npos);
}

TEST(DatabaseUrl, UnusableTextIsAnErrorWithoutThePassword) {
    std::string error;
    EXPECT_FALSE(parse_database_url("", error));
    EXPECT_FALSE(parse_database_url("mysql://u:topsecret@h/d", error));
    EXPECT_EQ(error.find("topsecret"), std::string::npos);
    EXPECT_FALSE(parse_database_url("host=h password='unterminated", error));
    EXPECT_EQ(error.find("unterminated'"), std::string::npos);
    EXPECT_FALSE(parse_database_url("just-words", error));
}

TEST(MaskDatabaseUrl, HidesPasswordsInEveryForm) {
    EXPECT_EQ(mask_database_url("postgresql://u:pw@h/d"), "postgresql://u:***@h/d");
    EXPECT_EQ(mask_database_url("postgresql://u@h/d"), "postgresql://u@h/d");
    EXPECT_EQ(mask_database_url("postgresql://h/d"), "postgresql://h/d");
    EXPECT_EQ(mask_database_url("host=h password=pw user=u"), "host=h password=*** user=u");
    EXPECT_EQ(mask_database_url("host=h password = 'p w' user=u"),
              "host=h password = '***' user=u");
}

TEST(DatabaseUrl, EmptyQueryBeforeAFragmentIsNoParameters) {
    // Found by fuzz/dsn.cpp (issue #19): Boost.URL 1.81 crashed iterating this query's params.
    std::string error;
    for (const char* url :
         {"postgresql://u:@db?#h_path%3Dx", "postgresql://db?", "postgresql://db?#"}) {
        const auto settings = parse_database_url(url, error);
        ASSERT_TRUE(settings) << url << ": " << error;
        EXPECT_EQ(settings->params.back(),
                  (std::pair<std::string, std::string>{"gssencmode", "disable"}));
    }
}

TEST(MaskDatabaseUrl, EveryPasswordTheParserReadsIsHidden) {
    // Found by fuzz/dsn.cpp (issue #19): libpq takes the last `password`, the mask hid the first.
    EXPECT_EQ(mask_database_url("host=h password=first password=second-secret"),
              "host=h password=*** password=***");
    // A word containing "password" is not the keyword; the keyword after it is still masked.
    EXPECT_EQ(mask_database_url("passwordfile=/x password=pw"), "passwordfile=/x password=***");
    // Quoted values with escapes, tabs between pairs.
    EXPECT_EQ(mask_database_url("password='it\\'s'\tuser=u"), "password='***'\tuser=u");
    // A password in the query of the URL form, also with a percent-encoded key.
    EXPECT_EQ(mask_database_url("postgresql://h/d?sslmode=disable&password=query-secret"),
              "postgresql://h/d?sslmode=disable&password=***");
    EXPECT_EQ(mask_database_url("postgresql://h/d?pass%77ord=query-secret#x"),
              "postgresql://h/d?pass%77ord=***#x");
    // White space that parse_database_url trims does not hide the keyword.
    EXPECT_EQ(mask_database_url("\u202fpassword=secret-value"), "password=***");
    // What cannot be read from some point on is masked from there when it names a password.
    EXPECT_EQ(mask_database_url("host=h password='unterminated secret"), "host=h password=***");
    std::string error;
    const auto query = parse_database_url("postgresql://h/d?password=query-secret", error);
    ASSERT_TRUE(query);
    EXPECT_EQ(query->masked.find("query-secret"), std::string::npos);
}

TEST(MaskDatabaseUrl, MaskedKeyValuesReadAsTheOriginal) {
    // Found by fuzz/dsn.cpp (issue #19): a closing quote needs no blank after it, so a mask that
    // dropped the quotes ran the next pair into the password and split the text after it
    // elsewhere: `x`'s value turned into a password of its own when the masked text was read.
    const std::string original = "password='pw'x= password='y z'a=b";
    const std::string masked = mask_database_url(original);
    EXPECT_EQ(masked, "password='***'x= password='y z'a=b");
    auto expected = parse(original).params;
    for (auto& [key, value] : expected) {
        if (key == "password") value = "***";
    }
    EXPECT_EQ(parse(masked).params, expected);
}

TEST(MaskDatabaseUrl, PairsEndAtEveryBlankLibpqKnows) {
    // libpq ends keywords and values at any isspace() byte. A keyword ended at a space only, so
    // `password<TAB>=` was an unknown keyword with its value shown in the masked text, and after
    // a CR the next pair was part of the value before it.
    const auto tab = parse("host=h password\t=tab-secret");
    EXPECT_EQ(param(tab, "password"), "tab-secret");
    EXPECT_EQ(tab.masked, "host=h password\t=***");
    const auto blanks = parse("host=h\r\npassword=cr-secret\fuser=u\vdbname=d");
    EXPECT_EQ(param(blanks, "host"), "h");
    EXPECT_EQ(param(blanks, "password"), "cr-secret");
    EXPECT_EQ(param(blanks, "user"), "u");
    EXPECT_EQ(param(blanks, "dbname"), "d");
    EXPECT_EQ(blanks.masked.find("cr-secret"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::db
