{
  "targets": [
    {
      "target_name": "sockctl",
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-fstack-protector-strong"
      ],
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "native/binding.cc",
            "native/errors.cc",
            "native/args.cc",
            "native/options.cc",
            "native/tcp_info.cc",
            "native/queues.cc",
            "native/instance.cc",
            "native/raw_io.cc",
            "native/poll.cc",
            "native/core/raw_io.cc",
            "native/filter.cc",
            "native/diag.cc",
            "native/sockets.cc",
            "native/netns.cc",
            "native/capture.cc",
            "native/forge.cc",
            "native/core/options.cc",
            "native/core/filter.cc",
            "native/core/diag.cc",
            "native/core/sockets.cc",
            "native/core/netns.cc",
            "native/core/capture.cc",
            "native/core/forge.cc",
            "native/core/endpoint.cc",
            "native/libstdcxx_compat.cc"
          ]
        }, {
          "sources": [
            "native/unsupported.cc"
          ]
        }]
      ]
    }
  ]
}
