# Homebrew formula for mcp-bridge. At a release, point url at the published tarball made
# by `make dist` (mcp-bridge-VERSION.tar.gz) and set sha256 to `shasum -a 256` of it; add
# a homepage once the project has one. On macOS the build selects the Keychain backend.
class McpBridge < Formula
  desc "Stdio MCP server relaying to remote MCP servers, with OAuth sign-in"
  url "RELEASE_URL/mcp-bridge-0.1.0.tar.gz"
  sha256 "RELEASE_SHA256"
  license "MIT"

  depends_on "cmake" => :build
  depends_on "pkg-config" => :build
  depends_on "curl"
  depends_on "jansson"
  depends_on "libuv"
  depends_on "openssl@3"

  def install
    system "cmake", "-S", ".", "-B", "build", "-DMCP_BRIDGE_TESTS=OFF", *std_cmake_args
    system "cmake", "--build", "build"
    system "cmake", "--install", "build"
    # The man page, zsh and fish completions land where Homebrew wants them; bash's
    # completions live in etc/bash_completion.d.
    bash_completion.install share/"bash-completion/completions/mcp-bridge"
  end

  test do
    assert_equal "mcp-bridge #{version}", shell_output("#{bin}/mcp-bridge --version").strip
    assert_match "--transport", shell_output("#{bin}/mcp-bridge --help")
  end
end
