// Pins the one duration grammar (contract 5.2, decisions B.14) against the reference's vectors.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>

#include "config/parse.hpp"

namespace portcullis::config {
namespace {

double ms(std::string_view text) {
    const ParsedDuration parsed = parse_duration(text);
    EXPECT_EQ(parsed.problem, DurationProblem::none) << text;
    return parsed.milliseconds;
}

DurationProblem problem(std::string_view text) {
    return parse_duration(text).problem;
}

TEST(ConfigDuration, ReferenceVectorsGiveTheStatedLifetime) {
    std::ifstream file(std::string(PORTCULLIS_VECTORS_DIR) + "/jwt.json");
    ASSERT_TRUE(file) << "cannot open jwt.json";
    const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    const boost::json::value root = boost::json::parse(text);
    const auto& vectors = root.at("expires_in_strings").as_array();
    ASSERT_GE(vectors.size(), 9U);
    for (const auto& vector : vectors) {
        const std::string expires_in(vector.at("expiresIn").as_string());
        const std::int64_t seconds = vector.at("seconds").to_number<std::int64_t>();
        std::string error;
        const auto lifetime = parse_positive_duration("JWT_ACCESS_EXPIRY", expires_in, error);
        ASSERT_TRUE(lifetime) << expires_in << ": " << error;
        // jsonwebtoken: exp = floor(iat + ms / 1000) with a whole-second iat.
        constexpr std::int64_t kIat = 1'700'000'000;
        const auto exp = static_cast<std::int64_t>(std::floor(
            static_cast<double>(kIat) + static_cast<double>(lifetime->count()) / 1000.0));
        EXPECT_EQ(exp - kIat, seconds) << expires_in;
    }
}

TEST(ConfigDuration, EveryUnitSpelling) {
    for (const char* unit : {"ms", "msec", "msecs", "millisecond", "milliseconds"}) {
        EXPECT_EQ(ms(std::string("2") + unit), 2.0) << unit;
    }
    for (const char* unit : {"s", "sec", "secs", "second", "seconds"}) {
        EXPECT_EQ(ms(std::string("2") + unit), 2000.0) << unit;
    }
    for (const char* unit : {"m", "min", "mins", "minute", "minutes"}) {
        EXPECT_EQ(ms(std::string("2") + unit), 120'000.0) << unit;
    }
    for (const char* unit : {"h", "hr", "hrs", "hour", "hours"}) {
        EXPECT_EQ(ms(std::string("2") + unit), 7'200'000.0) << unit;
    }
    for (const char* unit : {"d", "day", "days"}) {
        EXPECT_EQ(ms(std::string("2") + unit), 172'800'000.0) << unit;
    }
    for (const char* unit : {"w", "week", "weeks"}) {
        EXPECT_EQ(ms(std::string("2") + unit), 1'209'600'000.0) << unit;
    }
    for (const char* unit : {"y", "yr", "yrs", "year", "years"}) {
        EXPECT_EQ(ms(std::string("2") + unit), 63'115'200'000.0) << unit;
    }
}

TEST(ConfigDuration, GrammarDetails) {
    EXPECT_EQ(ms("1H"), 3'600'000.0);
    EXPECT_EQ(ms("2 DAYS"), 172'800'000.0);
    EXPECT_EQ(ms("5 Min"), 300'000.0);
    EXPECT_EQ(ms("3   s"), 3000.0);
    EXPECT_EQ(ms(".5s"), 500.0);
    EXPECT_EQ(ms("1.5h"), 5'400'000.0);
    EXPECT_EQ(ms("-1h"), -3'600'000.0);
    EXPECT_EQ(ms("-.5s"), -500.0);
    EXPECT_EQ(ms("007s"), 7000.0);
    EXPECT_EQ(ms("1" + std::string(98, ' ') + "h"), 3'600'000.0);  // exactly 100 characters
}

TEST(ConfigDuration, BareNumbersAreReportedApart) {
    const ParsedDuration parsed = parse_duration("900");
    EXPECT_EQ(parsed.problem, DurationProblem::bare_number);
    EXPECT_EQ(parsed.milliseconds, 900.0);
    EXPECT_EQ(problem("1.5"), DurationProblem::bare_number);
    EXPECT_EQ(problem("900 "), DurationProblem::bare_number);
    EXPECT_EQ(problem("0"), DurationProblem::bare_number);
    EXPECT_EQ(problem("-5"), DurationProblem::bare_number);
}

TEST(ConfigDuration, RefusesEverythingElse) {
    for (const char* text :
         {"",     " 1h",   "1h ",      "\t1h",      "1\th",     "1..5h",   "1.h",
          ".h",   "h",     "-h",       "1hour s",   "1 hours!", "1_000ms", "1e3ms",
          "+1h",  "--1h",  "1 h 2 m",  "1hh",       "1mo",      "1 month", "ms",
          "1,5h", "0x10s", "one hour", "1\xc2\xa0h"}) {
        EXPECT_EQ(problem(text), DurationProblem::unparsable) << text;
    }
    EXPECT_EQ(problem("1" + std::string(99, ' ') + "h"), DurationProblem::unparsable);  // 101 chars
}

TEST(ConfigDuration, PositiveDurationMessages) {
    std::string error;
    EXPECT_FALSE(parse_positive_duration("JWT_ACCESS_EXPIRY", "900", error));
    EXPECT_EQ(error,
              "JWT_ACCESS_EXPIRY must include a unit (e.g. \"900s\" or \"15m\"); a bare number is "
              "ambiguous");
    EXPECT_FALSE(parse_positive_duration("JWT_REFRESH_EXPIRY", "soon", error));
    EXPECT_EQ(error, "JWT_REFRESH_EXPIRY must be a duration such as \"15m\", \"12h\" or \"7d\"");
    for (const char* text : {"0s", "0ms", "-1h", "0.5ms", "-0d"}) {
        error.clear();
        EXPECT_FALSE(parse_positive_duration("JWT_ACCESS_EXPIRY", text, error)) << text;
        EXPECT_EQ(error, "JWT_ACCESS_EXPIRY must be greater than zero") << text;
    }
    EXPECT_FALSE(parse_positive_duration("JWT_ACCESS_EXPIRY", std::string(60, '9') + "y", error));
    EXPECT_EQ(error, "JWT_ACCESS_EXPIRY is too large");
    EXPECT_EQ(parse_positive_duration("X", "1.9ms", error), std::chrono::milliseconds(1));
    EXPECT_EQ(parse_positive_duration("X", "15m", error), std::chrono::milliseconds(900'000));
    EXPECT_EQ(parse_positive_duration("X", "1y", error), std::chrono::milliseconds(31'557'600'000));
}

}  // namespace
}  // namespace portcullis::config
