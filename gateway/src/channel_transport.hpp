// The SSH channel as the SFTP codec's byte stream (sftp_server.hpp's Transport).
#pragma once

#include <libssh/libssh.h>

#include "sftp_server.hpp"

namespace dropgate::gateway {

class ChannelTransport : public Transport {
  public:
    explicit ChannelTransport(ssh_channel channel) : channel_(channel) {}
    long read(void* buf, std::size_t cap, int timeout_ms) override;
    long read_ready(void* buf, std::size_t cap) override;
    bool write(const void* data, std::size_t len) override;
    void write_stderr(std::string_view line) override;

  private:
    ssh_channel channel_;
};

}  // namespace dropgate::gateway
