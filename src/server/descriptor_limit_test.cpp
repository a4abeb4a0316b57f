// The descriptor limit: raised to fit a connection limit the hard limit allows, an error naming
// both numbers for one it does not.
#include "server/descriptor_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace clipsearch::server {
namespace {

TEST(DescriptorLimit, RaisesTheSoftLimitOrSaysWhatToChange) {
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  const unsigned fits = connections_within_descriptor_limit();
  ASSERT_GE(fits, 1u);
  EXPECT_LE(fits, kAutomaticMaxConnections);
  ASSERT_TRUE(fit_descriptor_limit(fits).ok());
  rlimit after{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_GE(after.rlim_cur, static_cast<rlim_t>(fits) * kDescriptorsPerConnection);
  EXPECT_GE(after.rlim_cur, before.rlim_cur) << "never lowered";

  if (after.rlim_max == RLIM_INFINITY) GTEST_SKIP() << "no hard limit to go past";
  const Status st = fit_descriptor_limit(4000000000u);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("max_connections 4000000000 needs"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("ulimit -Hn"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace clipsearch::server
