#include "channel_transport.hpp"

#include <cstdint>

namespace dropgate::gateway {

long ChannelTransport::read(void* buf, std::size_t cap, int timeout_ms) {
    int n = ssh_channel_read_timeout(channel_, buf, std::uint32_t(cap), 0, timeout_ms);
    if (n > 0) return n;
    if (n < 0 || ssh_channel_is_eof(channel_) || !ssh_channel_is_open(channel_)) return -1;
    return 0;
}

long ChannelTransport::read_ready(void* buf, std::size_t cap) {
    int n = ssh_channel_read_nonblocking(channel_, buf, std::uint32_t(cap), 0);
    return n > 0 ? n : 0;
}

bool ChannelTransport::write(const void* data, std::size_t len) {
    return ssh_channel_write(channel_, data, std::uint32_t(len)) == int(len);
}

void ChannelTransport::write_stderr(std::string_view line) {
    ssh_channel_write_stderr(channel_, line.data(), std::uint32_t(line.size()));
}

}  // namespace dropgate::gateway
