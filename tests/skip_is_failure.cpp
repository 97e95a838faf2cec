// Linked into every test binary: a skipped test is a failed test (helper guide). Every service a
// test needs is started by the project's own scripts, so GTEST_SKIP has no legitimate use here.
// gtest_discover_tests makes CTest report any test whose output shows gtest's skip marker as
// skipped, and that wins over the binary's exit code, even when a SetUpTestSuite failed: so a skip
// must turn into a failure before gtest prints its result. A listener appended last hears OnTestEnd
// and OnTestSuiteEnd first (gtest calls them in reverse order), while the test or suite is still
// current, and adds a failure there: the printer then reports FAILED and CTest sees exit code 1.
#include <gtest/gtest.h>

namespace {

bool has_skip(const ::testing::TestResult& result) {
    for (int i = 0; i < result.total_part_count(); ++i) {
        if (result.GetTestPartResult(i).skipped()) return true;
    }
    return false;
}

class SkipIsFailure : public ::testing::EmptyTestEventListener {
public:
    void OnTestEnd(const ::testing::TestInfo& test) override {
        if (test.result()->Skipped()) {
            ADD_FAILURE() << "the test was skipped, and a skipped test is a failed test: give it "
                             "what it needs instead (scripts/stack.sh start, . .local/stack.env)";
        }
    }
    // GTEST_SKIP() in SetUpTestSuite() is recorded on the suite, and its tests run regardless.
    void OnTestSuiteEnd(const ::testing::TestSuite& suite) override {
        if (has_skip(suite.ad_hoc_test_result())) {
            ADD_FAILURE() << "the suite's set-up skipped, and a skipped test is a failed test";
        }
    }
};

// Appends the listener once flags are parsed (--gtest_brief replaces the printer at that point),
// so it is the last one.
class InstallSkipIsFailure : public ::testing::Environment {
public:
    void SetUp() override {
        ::testing::UnitTest::GetInstance()->listeners().Append(new SkipIsFailure);
    }
};

[[maybe_unused]] ::testing::Environment* const kInstalled =
    ::testing::AddGlobalTestEnvironment(new InstallSkipIsFailure);

}  // namespace
