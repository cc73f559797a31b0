info vcpus
