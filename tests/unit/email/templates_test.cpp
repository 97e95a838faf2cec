// Pins the email texts of contract 8.3 with the real TTL of decisions B.12.
#include "email/templates.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace portcullis::email {
namespace {
using ::testing::HasSubstr;

constexpr const char* kToken = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

TEST(EmailTemplates, DescribesMinutesAsWords) {
    EXPECT_EQ(describe_minutes(1), "1 minute");
    EXPECT_EQ(describe_minutes(30), "30 minutes");
    EXPECT_EQ(describe_minutes(60), "1 hour");
    EXPECT_EQ(describe_minutes(90), "90 minutes");
    EXPECT_EQ(describe_minutes(1440), "24 hours");
}

TEST(EmailTemplates, VerificationHasEveryRequiredElement) {
    const RenderedEmail email = render(EmailKind::verification, kToken, 60);
    EXPECT_EQ(email.subject, "Verify your email address");
    for (const std::string& body : {email.text, email.html}) {
        EXPECT_THAT(body, HasSubstr("Verify Your Email"));
        EXPECT_THAT(body, HasSubstr("Hello"));
        EXPECT_THAT(body, HasSubstr("\n" + std::string(kToken) + "\n")) << "alone on its line";
        EXPECT_THAT(body, HasSubstr("expires in 1 hour"));
        EXPECT_THAT(body, HasSubstr("did not create an account"));
    }
    EXPECT_THAT(email.html, HasSubstr("automated"));
}

TEST(EmailTemplates, PasswordResetHasEveryRequiredElementAndTheConfiguredTtl) {
    const RenderedEmail email = render(EmailKind::password_reset, kToken, 45);
    EXPECT_EQ(email.subject, "Reset your password");
    for (const std::string& body : {email.text, email.html}) {
        EXPECT_THAT(body, HasSubstr("Password Reset"));
        EXPECT_THAT(body, HasSubstr("set a new password"));
        EXPECT_THAT(body, HasSubstr("\n" + std::string(kToken) + "\n"));
        EXPECT_THAT(body, HasSubstr("expires in 45 minutes"));
        EXPECT_THAT(body, HasSubstr("password will not change"));
    }
    EXPECT_THAT(email.html, HasSubstr("automated"));
    EXPECT_EQ(to_string(EmailKind::password_reset), "password-reset");
    EXPECT_EQ(to_string(EmailKind::verification), "verification");
}

}  // namespace
}  // namespace portcullis::email
