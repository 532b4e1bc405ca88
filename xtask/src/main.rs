use progenitor_impl::{GenerationSettings, Generator, InterfaceStyle, TypeImpl};
fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).unwrap();
    let spec: openapiv3::OpenAPI = serde_yaml::from_str(&std::fs::read_to_string(path)?)?;
    let mut settings = GenerationSettings::default();
    settings.with_interface(InterfaceStyle::Builder);
    let mut schema = schemars::schema::SchemaObject::default();
    schema.instance_type = Some(schemars::schema::InstanceType::String.into());
    schema.format = Some("iso8601".into());
    settings.with_conversion(schema, "crate::Timestamp", [TypeImpl::Display].into_iter());
    let mut g = Generator::new(&settings);
    let tokens = g.generate_tokens(&spec)?;
    let file: syn::File = syn::parse2(tokens)?;
    println!("{}", prettyplease::unparse(&file));
    Ok(())
}
