/// The Mantl variables: load, validate, render.
enum HeraldConfigModule {}
