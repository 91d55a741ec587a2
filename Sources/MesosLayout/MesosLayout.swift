/// Mesos ' ZooKeeper layout: zk:// URLs, MasterInfo, member names, leader rules.
enum MesosLayoutModule {}
